package dev.relay.infra.testing;

import dev.relay.embedded.EmbeddedMariaDb;
import dev.relay.embedded.EmbeddedS3Server;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import org.flywaydb.core.Flyway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The MariaDB and S3 server shared by all integration tests of a test JVM, each started on first use.
 *
 * <p>MariaDB: the server at 127.0.0.1:3306 (root, empty password) when there is one, else an {@link EmbeddedMariaDb}
 * under {@code target/embedded-test-db} of the module (its binaries are unpacked there once; tests use its
 * administrator, root with the generated password). Either way every JVM
 * gets its own fresh database {@code relay_test_<random>}, dropped at exit. Set the system property
 * {@code relay.test.mariadb=embedded} to skip the server on 3306.
 *
 * <p>S3: an {@link EmbeddedS3Server} on a free port, with bucket {@value #S3_BUCKET}, in a directory of its own
 * under {@code target/embedded-test-s3} that is deleted at exit (directories of dead JVMs are swept on start).
 * {@link #stopS3()}, {@link #startS3()} and {@link #restartS3()} keep port, credentials and objects, for fault tests.
 *
 * <p>{@link #springProperties()} gives a Spring Boot test the same keys the embedded defaults would set, with
 * {@code relay.embedded.enabled=false}. The application's {@code relay.embedded.enabled=true} is read while the
 * environment is prepared, before {@code @DynamicPropertySource} values exist, so switch it off through
 * {@code @SpringBootTest(properties = "relay.embedded.enabled=false")} (or a test profile) as well.
 *
 * <p>It lives in infra's test-jar, beside the migrations that {@link #migratedConnectionFactory()} applies, and runs
 * the servers of the {@code embedded} module, a test-scope dependency of infra.
 */
public final class TestServices {

    public static final String S3_BUCKET = "relay-test";
    /** System property: {@code embedded} forces the embedded MariaDB even when one runs on port 3306. */
    public static final String MARIADB_MODE_PROPERTY = "relay.test.mariadb";

    private static final String LOCAL_HOST = "127.0.0.1";
    private static final int LOCAL_PORT = 3306;
    private static final String USER = "root";
    private static final String PASSWORD = "";
    private static final SecureRandom RANDOM = new SecureRandom();

    private static TestServices instance;

    private final Path moduleDir = Path.of("").toAbsolutePath();
    private final String jwtSecret = Base64.getEncoder().encodeToString(randomBytes(32));
    private Database database;
    private EmbeddedS3Server s3;

    private TestServices() {
    }

    /** The JVM-wide instance; starting it costs nothing, each service starts on first use. */
    public static synchronized TestServices get() {
        if (instance == null) {
            instance = new TestServices();
        }
        return instance;
    }

    public String r2dbcUrl() {
        Database db = database();
        return "r2dbc:mysql://" + db.host + ":" + db.port + "/" + db.name;
    }

    /**
     * The schema migrated by the real migrations, and an R2DBC connection factory on it, for adapter tests that run
     * without the application.
     */
    public ConnectionFactory migratedConnectionFactory() {
        Flyway.configure().dataSource(jdbcUrl(), dbUser(), dbPassword()).load().migrate();
        return ConnectionFactories.get(ConnectionFactoryOptions.parse(r2dbcUrl()).mutate()
                .option(ConnectionFactoryOptions.USER, dbUser())
                .option(ConnectionFactoryOptions.PASSWORD, dbPassword())
                .build());
    }

    /**
     * The database settings of {@link #springProperties()} for another, empty database on the same server (dropped
     * at exit), for a test that must see a database no other test has written to.
     */
    public Map<String, String> newDatabaseProperties() {
        Database shared = database();
        Database db = new Database(shared.host, shared.port, "relay_test_" + HexFormat.of().formatHex(randomBytes(4)),
                shared.embedded);
        execute(db, "CREATE DATABASE `" + db.name + "` CHARACTER SET utf8mb4");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> dropQuietly(db), "test-database-drop"));
        String address = db.host + ":" + db.port + "/" + db.name;
        return Map.of("spring.r2dbc.url", "r2dbc:mysql://" + address, "spring.flyway.url", "jdbc:mariadb://" + address);
    }

    public String jdbcUrl() {
        Database db = database();
        return "jdbc:mariadb://" + db.host + ":" + db.port + "/" + db.name;
    }

    public String dbName() {
        return database().name;
    }

    public String dbUser() {
        Database db = database();
        return db.embedded == null ? USER : EmbeddedMariaDb.ADMIN;
    }

    public String dbPassword() {
        Database db = database();
        return db.embedded == null ? PASSWORD : db.embedded.adminPassword();
    }

    /** Whether the database lives in the embedded MariaDB (no server on 3306, or forced). */
    public boolean dbEmbedded() {
        return database().embedded != null;
    }

    public String s3Endpoint() {
        return s3().endpoint();
    }

    public String s3AccessKey() {
        return s3().accessKey();
    }

    public String s3SecretKey() {
        return s3().secretKey();
    }

    public String s3Bucket() {
        return s3().bucket();
    }

    /** A random HS256 key (base64, 32 bytes), fixed for the JVM. */
    public String jwtSecret() {
        return jwtSecret;
    }

    /** Kills the S3 server process; objects stay on disk. */
    public synchronized void stopS3() {
        s3().stop();
    }

    /** Starts the S3 server again on the same port and data directory; a no-op if it runs. */
    public synchronized void startS3() {
        s3().start();
    }

    public synchronized void restartS3() {
        stopS3();
        startS3();
    }

    /** The keys the embedded defaults set, pointing at these services, with the embedded defaults off. */
    public Map<String, String> springProperties() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("relay.embedded.enabled", "false");
        properties.put("spring.r2dbc.url", r2dbcUrl());
        properties.put("spring.r2dbc.username", dbUser());
        properties.put("spring.r2dbc.password", dbPassword());
        properties.put("spring.flyway.url", jdbcUrl());
        properties.put("spring.flyway.user", dbUser());
        properties.put("spring.flyway.password", dbPassword());
        properties.put("relay.s3.endpoint", s3Endpoint());
        properties.put("relay.s3.access-key", s3AccessKey());
        properties.put("relay.s3.secret-key", s3SecretKey());
        properties.put("relay.s3.bucket", s3Bucket());
        properties.put("relay.security.jwt-secret", jwtSecret());
        // Every test registers and logs in from 127.0.0.1; the tests of these limits set their own.
        properties.put("relay.security.registration-burst", "100000");
        properties.put("relay.security.address-login-burst", "100000");
        properties.put("relay.connections.request-burst", "100000");
        properties.put("relay.connections.write-burst", "100000");
        return properties;
    }

    private synchronized Database database() {
        if (database == null) {
            database = startDatabase();
        }
        return database;
    }

    private synchronized EmbeddedS3Server s3() {
        if (s3 == null) {
            s3 = startS3Server();
        }
        return s3;
    }

    private Database startDatabase() {
        String name = "relay_test_" + HexFormat.of().formatHex(randomBytes(4));
        Database db;
        if (!"embedded".equals(System.getProperty(MARIADB_MODE_PROPERTY)) && localServerAnswers()) {
            db = new Database(LOCAL_HOST, LOCAL_PORT, name, null);
            execute(db, "CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4");
        } else {
            EmbeddedMariaDb embedded = new EmbeddedMariaDb(moduleDir.resolve("target/embedded-test-db"), 0, name).start();
            db = new Database(embedded.host(), embedded.port(), name, embedded);
            // This JVM owns the embedded server (MariaDB locks its data directory), so earlier runs' leftovers go.
            dropOtherTestDatabases(db);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> dropQuietly(db), "test-database-drop"));
        return db;
    }

    private EmbeddedS3Server startS3Server() {
        Path root = moduleDir.resolve("target/embedded-test-s3");
        sweepDeadRuns(root);
        Path dataDir = root.resolve("run-" + ProcessHandle.current().pid());
        deleteRecursively(dataDir);
        EmbeddedS3Server server = new EmbeddedS3Server(dataDir, 0, "test" + HexFormat.of().formatHex(randomBytes(8)),
            Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(30)), S3_BUCKET);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            try {
                deleteRecursively(dataDir);
            } catch (UncheckedIOException ignored) {
                // Swept by the next run.
            }
        }, "test-s3-cleanup"));
        return server.start();
    }

    private static boolean localServerAnswers() {
        try (Connection ignored = connect("jdbc:mariadb://" + LOCAL_HOST + ":" + LOCAL_PORT + "/?connectTimeout=1000", USER, PASSWORD)) {
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private static void dropOtherTestDatabases(Database db) {
        List<String> stale = new ArrayList<>();
        try (Connection connection = connect(db);
             Statement statement = connection.createStatement();
             ResultSet names = statement.executeQuery("SHOW DATABASES LIKE 'relay\\_test\\_%'")) {
            while (names.next()) {
                if (!names.getString(1).equals(db.name)) {
                    stale.add(names.getString(1));
                }
            }
            for (String name : stale) {
                statement.execute("DROP DATABASE IF EXISTS `" + name + "`");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Could not clean up old test databases on " + db.serverUrl(), e);
        }
    }

    // Runs at JVM exit, possibly after the embedded server's own hook has stopped it: leftovers are swept later.
    private static void dropQuietly(Database db) {
        try {
            execute(db, "DROP DATABASE IF EXISTS `" + db.name + "`");
        } catch (RuntimeException ignored) {
            // Nothing left to report to at exit.
        }
    }

    private static void execute(Database db, String sql) {
        try (Connection connection = connect(db); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("Failed on " + db.serverUrl() + ": " + sql, e);
        }
    }

    private static Connection connect(Database db) throws SQLException {
        return db.embedded == null ? connect(db.serverUrl(), USER, PASSWORD)
                : connect(db.serverUrl(), EmbeddedMariaDb.ADMIN, db.embedded.adminPassword());
    }

    private static Connection connect(String url, String user, String password) throws SQLException {
        Properties credentials = new Properties();
        credentials.setProperty("user", user);
        credentials.setProperty("password", password);
        return new org.mariadb.jdbc.Driver().connect(url, credentials);
    }

    private static void sweepDeadRuns(Path root) {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (Stream<Path> runs = Files.list(root)) {
            runs.filter(run -> run.getFileName().toString().matches("run-\\d+"))
                .filter(run -> ProcessHandle.of(Long.parseLong(run.getFileName().toString().substring(4))).isEmpty())
                .forEach(TestServices::deleteRecursively);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + root, e);
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete " + dir, e);
        }
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static final class Database {
        final String host;
        final int port;
        final String name;
        final EmbeddedMariaDb embedded;

        Database(String host, int port, String name, EmbeddedMariaDb embedded) {
            this.host = host;
            this.port = port;
            this.name = name;
            this.embedded = embedded;
        }

        String serverUrl() {
            return "jdbc:mariadb://" + host + ":" + port + "/";
        }
    }
}
