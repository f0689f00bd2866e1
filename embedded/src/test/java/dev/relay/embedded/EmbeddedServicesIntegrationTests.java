package dev.relay.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

class EmbeddedServicesIntegrationTests {

    private Path dir;

    @BeforeEach
    void createDirectory() throws IOException {
        dir = TargetDirectory.create("embedded-services-it");
    }

    @AfterEach
    void deleteDirectory() throws IOException {
        TargetDirectory.delete(dir);
    }

    @Test
    void s3ServerKeepsObjectsAcrossARestartOnTheSameDataDirectory() throws Exception {
        Path dataDir = dir.resolve("s3");
        String endpoint;
        try (EmbeddedS3Server server = new EmbeddedS3Server(dataDir, 0, "test-access", "test-secret", "bucket").start()) {
            endpoint = server.endpoint();
            assertThat(endpoint).matches("http://127\\.0\\.0\\.1:\\d+");
            put(server, "a/b.txt", "hello");
            assertThat(get(server, "a/b.txt")).isEqualTo("hello");
        }
        assertThat(accepts(endpoint)).isFalse();

        try (EmbeddedS3Server again = new EmbeddedS3Server(dataDir, 0, "test-access", "test-secret", "bucket").start()) {
            assertThat(get(again, "a/b.txt")).isEqualTo("hello");
        }
    }

    @Test
    void s3ServerRestartedThroughTheSameInstanceKeepsItsPort() throws Exception {
        try (EmbeddedS3Server server = new EmbeddedS3Server(dir.resolve("s3"), 0, "test-access", "test-secret", "bucket")) {
            String endpoint = server.start().endpoint();
            put(server, "key", "value");

            server.stop();
            server.stop();
            assertThat(server.isRunning()).isFalse();
            server.start();

            assertThat(server.endpoint()).isEqualTo(endpoint);
            assertThat(get(server, "key")).isEqualTo("value");
        }
    }

    @Test
    void mariaDbKeepsATableAcrossAStopAndAStartOnTheSameDataDirectory() throws SQLException {
        Path home = dir.resolve("mariadb");
        try (EmbeddedMariaDb db = new EmbeddedMariaDb(home, 0, "relay").start()) {
            int port = db.port();
            assertThat(db.jdbcUrl()).isEqualTo("jdbc:mariadb://127.0.0.1:" + port + "/relay");
            try (Connection connection = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
                 Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE greeting (text VARCHAR(100))");
                statement.execute("INSERT INTO greeting VALUES ('grüezi')");
            }

            db.stop();
            db.stop();
            assertThat(accepts(port)).isFalse();
            db.start();

            assertThat(db.port()).isEqualTo(port);
            assertThat(greeting(db)).isEqualTo("grüezi");
        }

        try (EmbeddedMariaDb again = new EmbeddedMariaDb(home, 0, "relay").start()) {
            assertThat(greeting(again)).isEqualTo("grüezi");
        }
    }

    private static String greeting(EmbeddedMariaDb db) throws SQLException {
        try (Connection connection = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT text FROM greeting")) {
            assertThat(rows.next()).isTrue();
            return rows.getString(1);
        }
    }

    @Test
    void postProcessorSharesTheServicesBetweenContextsAndStopsThemWithTheLastOne() throws Exception {
        Path dataDir = dir.resolve("relay-data");
        ConfigurableApplicationContext first = run(dataDir);
        Environment environment = first.getEnvironment();
        String r2dbcUrl = environment.getProperty("spring.r2dbc.url");
        String s3Endpoint = environment.getProperty("relay.s3.endpoint");
        assertThat(r2dbcUrl).matches("r2dbc:mysql://127\\.0\\.0\\.1:\\d+/relay");
        assertThat(environment.getProperty("spring.flyway.url"))
            .isEqualTo(r2dbcUrl.replace("r2dbc:mysql:", "jdbc:mariadb:"));
        assertThat(environment.getProperty("spring.r2dbc.username")).isEqualTo("relay");
        assertThat(environment.getProperty("spring.flyway.password")).hasSize(32)
            .isEqualTo(environment.getProperty("spring.r2dbc.password"));
        assertThat(environment.getProperty("server.address")).isEqualTo("127.0.0.1");
        assertThat(environment.getProperty("relay.s3.bucket")).isEqualTo("relay");
        assertThat(environment.getProperty("relay.security.jwt-secret")).isEqualTo(
            Files.readString(dataDir.resolve("jwt-secret")).trim());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir.resolve("jwt-secret"))))
            .isEqualTo("rw-------");

        ConfigurableApplicationContext second = run(dataDir);
        assertThat(second.getEnvironment().getProperty("spring.r2dbc.url")).isEqualTo(r2dbcUrl);
        assertThat(second.getEnvironment().getProperty("relay.s3.secret-key"))
            .isEqualTo(environment.getProperty("relay.s3.secret-key"));

        first.close();
        assertThat(accepts(s3Endpoint)).isTrue();
        second.close();
        assertThat(accepts(s3Endpoint)).isFalse();
        assertThat(accepts(URI.create(r2dbcUrl.replace("r2dbc:mysql:", "mysql:")).getPort())).isFalse();
    }

    private static ConfigurableApplicationContext run(Path dataDir) {
        return new SpringApplicationBuilder(NoBeans.class)
            .web(WebApplicationType.NONE)
            .properties("relay.embedded.enabled=true", "relay.embedded.data-dir=" + dataDir)
            .run();
    }

    private static void put(EmbeddedS3Server server, String key, String content) throws Exception {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        try (MinioClient client = client(server)) {
            client.putObject(PutObjectArgs.builder().bucket(server.bucket()).object(key)
                .stream(new ByteArrayInputStream(bytes), bytes.length, -1).build());
        }
    }

    private static String get(EmbeddedS3Server server, String key) throws Exception {
        try (MinioClient client = client(server);
             InputStream in = client.getObject(GetObjectArgs.builder().bucket(server.bucket()).object(key).build())) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static MinioClient client(EmbeddedS3Server server) {
        return MinioClient.builder().endpoint(server.endpoint()).credentials(server.accessKey(), server.secretKey()).build();
    }

    private static boolean accepts(String url) {
        return accepts(URI.create(url).getPort());
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class NoBeans {
    }
}
