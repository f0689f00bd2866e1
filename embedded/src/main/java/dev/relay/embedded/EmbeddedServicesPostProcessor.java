package dev.relay.embedded;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.commons.logging.Log;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.SmartApplicationListener;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.StringUtils;

/**
 * Runs a MariaDB and an S3 server on this machine when {@code relay.embedded.enabled=true}, so the application
 * starts with no infrastructure installed, and points the application at them.
 *
 * <p>It runs while the environment is prepared, before any bean exists, because the R2DBC, Flyway and S3
 * settings it contributes must be in place when auto-configuration reads them. They go into the
 * highest-precedence property source {@value #PROPERTY_SOURCE_NAME}, overriding any other value. It knows the
 * adapters' settings ({@code spring.r2dbc.*}, {@code spring.flyway.*}, {@code relay.s3.*}) and the service's
 * {@code relay.security.jwt-secret} by name only: this module needs no class of theirs.
 *
 * <p>Layout of {@code relay.embedded.data-dir} (default {@code ./relay-data}, owner-only: 0700), all kept across
 * restarts: {@code mariadb/} ({@link EmbeddedMariaDb}), {@code s3/} ({@link EmbeddedS3Server}),
 * {@code s3-credentials.properties} and {@code jwt-secret} (generated once, owner-readable only, each used unless the
 * matching property is set).
 *
 * <p>In this mode the web server listens on 127.0.0.1 unless {@code server.address} says otherwise: the defaults are
 * for a try-out on one machine, and the embedded services' secrets are generated, not chosen.
 *
 * <p>Several application contexts in one JVM (tests) share the services of one data directory; the services stop
 * when the last of those contexts closes or fails to start, and at the latest when the JVM exits.
 */
public class EmbeddedServicesPostProcessor implements EnvironmentPostProcessor, Ordered {

    public static final String PROPERTY_SOURCE_NAME = "relayEmbedded";
    /** Lowest precedence: defaults of the embedded mode that any other setting overrides. */
    public static final String DEFAULTS_SOURCE_NAME = "relayEmbeddedDefaults";
    static final String LOOPBACK = "127.0.0.1";

    /** Right after config data, which is where {@code relay.embedded.*} is normally set. */
    public static final int ORDER = ConfigDataEnvironmentPostProcessor.ORDER + 1;

    static final String DATABASE_NAME = "relay";

    private static final Map<Path, SharedServices> RUNNING = new HashMap<>();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Log log;

    public EmbeddedServicesPostProcessor(DeferredLogFactory logFactory) {
        this.log = logFactory.getLog(EmbeddedServicesPostProcessor.class);
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!environment.getProperty("relay.embedded.enabled", Boolean.class, false)
            || environment.getPropertySources().contains(PROPERTY_SOURCE_NAME)) {
            return;
        }
        Path dataDir = dataDir(text(environment, "relay.embedded.data-dir", () -> "./relay-data"));
        String bucket = text(environment, "relay.s3.bucket", () -> "relay");
        String accessKey = text(environment, "relay.s3.access-key", () -> s3Credentials(dataDir).getProperty("accessKey"));
        String secretKey = text(environment, "relay.s3.secret-key", () -> s3Credentials(dataDir).getProperty("secretKey"));

        SharedServices services = acquire(dataDir,
            () -> new EmbeddedMariaDb(dataDir.resolve("mariadb"),
                environment.getProperty("relay.embedded.mariadb-port", Integer.class, 0), DATABASE_NAME),
            () -> new EmbeddedS3Server(dataDir.resolve("s3"),
                environment.getProperty("relay.embedded.s3-port", Integer.class, 0), accessKey, secretKey, bucket));
        if (application != null) {
            application.addListeners(new ReleaseOnClose(services));
        }

        EmbeddedMariaDb db = services.db;
        EmbeddedS3Server s3 = services.s3;
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("spring.r2dbc.url", db.r2dbcUrl());
        properties.put("spring.r2dbc.username", db.user());
        properties.put("spring.r2dbc.password", db.password());
        properties.put("spring.flyway.url", db.jdbcUrl());
        properties.put("spring.flyway.user", db.user());
        properties.put("spring.flyway.password", db.password());
        properties.put("relay.s3.endpoint", s3.endpoint());
        properties.put("relay.s3.access-key", s3.accessKey());
        properties.put("relay.s3.secret-key", s3.secretKey());
        properties.put("relay.s3.bucket", s3.bucket());
        properties.put("relay.security.jwt-secret", text(environment, "relay.security.jwt-secret", () -> jwtSecret(dataDir)));
        environment.getPropertySources().addFirst(new MapPropertySource(PROPERTY_SOURCE_NAME, properties));
        environment.getPropertySources().addLast(new MapPropertySource(DEFAULTS_SOURCE_NAME,
            Map.of("server.address", LOOPBACK)));
    }

    private SharedServices acquire(Path dataDir, Supplier<EmbeddedMariaDb> newDb, Supplier<EmbeddedS3Server> newS3) {
        synchronized (RUNNING) {
            SharedServices running = RUNNING.get(dataDir);
            if (running != null) {
                running.users++;
                log.debug("Reusing the embedded services of " + dataDir);
                return running;
            }
            ChildGuard.useLog(log);
            try {
                return start(dataDir, newDb, newS3);
            } finally {
                ChildGuard.useLog(null);
            }
        }
    }

    private SharedServices start(Path dataDir, Supplier<EmbeddedMariaDb> newDb, Supplier<EmbeddedS3Server> newS3) {
        EmbeddedMariaDb db = newDb.get().start();
        log.info("Embedded MariaDB listening on " + db.host() + ":" + db.port() + ", database '" + db.databaseName()
            + "', data in " + db.home());
        EmbeddedS3Server s3 = newS3.get();
        try {
            s3.start();
        } catch (RuntimeException e) {
            db.stop();
            throw e;
        }
        log.info("Embedded S3 server listening on " + s3.endpoint() + ", bucket '" + s3.bucket() + "', objects in "
            + s3.dataDir().resolve("objects") + ", log in " + s3.dataDir().resolve("s3proxy.log"));
        SharedServices started = new SharedServices(dataDir, db, s3);
        RUNNING.put(dataDir, started);
        return started;
    }

    // Stops under the lock, so a context starting meanwhile waits instead of meeting a half-stopped server.
    private static void release(SharedServices services) {
        synchronized (RUNNING) {
            if (--services.users > 0) {
                return;
            }
            RUNNING.remove(services.dataDir);
            try {
                services.s3.stop();
            } finally {
                services.db.stop();
            }
        }
    }

    // Blank counts as unset: configuration files commonly say "access-key: ${S3_ACCESS_KEY:}".
    private static String text(ConfigurableEnvironment environment, String key, Supplier<String> fallback) {
        String value = environment.getProperty(key);
        return StringUtils.hasText(value) ? value : fallback.get();
    }

    private static Path dataDir(String configured) {
        try {
            Path dir = Path.of(configured);
            // Holds the credentials, the keys and the data: nobody else's business, also in an older version's folder.
            OwnerOnly.directory(dir);
            // One key per directory however it is spelled (relative, symlinked), for the registry.
            return dir.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create relay.embedded.data-dir " + configured, e);
        }
    }

    private static Properties s3Credentials(Path dataDir) {
        Path file = dataDir.resolve("s3-credentials.properties");
        Properties credentials = new Properties();
        try {
            if (Files.exists(file)) {
                OwnerOnly.file(file);
                try (Reader in = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
                    credentials.load(in);
                }
                return credentials;
            }
            credentials.setProperty("accessKey", randomAlphanumeric(20));
            credentials.setProperty("secretKey", Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(30)));
            OwnerOnly.file(file);
            try (Writer out = Files.newBufferedWriter(file, StandardCharsets.ISO_8859_1)) {
                credentials.store(out, "Credentials of the embedded S3 server, generated once");
            }
            return credentials;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read or write " + file, e);
        }
    }

    private static String jwtSecret(Path dataDir) {
        Path file = dataDir.resolve("jwt-secret");
        try {
            if (!Files.exists(file)) {
                OwnerOnly.file(file);
                Files.writeString(file, Base64.getEncoder().encodeToString(randomBytes(32)) + "\n", StandardCharsets.US_ASCII);
            }
            OwnerOnly.file(file);
            return Files.readString(file, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read or write " + file, e);
        }
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static String randomAlphanumeric(int length) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return out.toString();
    }

    /** The services of one data directory and how many application contexts use them. Guarded by RUNNING. */
    private static final class SharedServices {
        final Path dataDir;
        final EmbeddedMariaDb db;
        final EmbeddedS3Server s3;
        int users = 1;

        SharedServices(Path dataDir, EmbeddedMariaDb db, EmbeddedS3Server s3) {
            this.dataDir = dataDir;
            this.db = db;
            this.s3 = s3;
        }
    }

    /**
     * Gives the services back when the application's own context closes, or when the application fails to start
     * (a context that never became active publishes no close event). Events of child contexts, which reach the
     * parent's listeners too, are ignored.
     */
    private static final class ReleaseOnClose implements SmartApplicationListener {
        private final SharedServices services;
        private final AtomicBoolean released = new AtomicBoolean();
        private volatile ApplicationContext context;

        ReleaseOnClose(SharedServices services) {
            this.services = services;
        }

        @Override
        public boolean supportsEventType(Class<? extends ApplicationEvent> eventType) {
            return ApplicationPreparedEvent.class.isAssignableFrom(eventType)
                || ContextClosedEvent.class.isAssignableFrom(eventType)
                || ApplicationFailedEvent.class.isAssignableFrom(eventType);
        }

        @Override
        public void onApplicationEvent(ApplicationEvent event) {
            if (event instanceof ApplicationPreparedEvent prepared) {
                context = prepared.getApplicationContext();
            } else if (event instanceof ContextClosedEvent closed && closed.getApplicationContext() == context
                || event instanceof ApplicationFailedEvent) {
                if (released.compareAndSet(false, true)) {
                    release(services);
                }
            }
        }
    }
}
