package dev.relay.cli.support;

import dev.relay.api.wire.UploadInfo;
import dev.relay.cli.CliEnvironment;
import dev.relay.cli.RelayCli;
import dev.relay.cli.config.Config;
import dev.relay.cli.config.ConfigStore;
import dev.relay.cli.config.PendingUpload;
import dev.relay.cli.config.PendingUploads;
import dev.relay.client.RelayClient;
import dev.relay.infra.testing.TestServices;
import dev.relay.web.RelayApplication;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.core.publisher.Mono;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the relay CLI in-process (its picocli command line, with a config file of the test's own and captured
 * streams) against the real service on a random port, on the real MariaDB and S3 server of {@link TestServices}.
 * Same settings as the web module's integration tests: 5 MB parts, 256 KiB chunks, a fixed 1 MiB credit window.
 */
@SpringBootTest(classes = RelayApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
                "relay.embedded.enabled=false",
                "relay.transfer.part-size=5MB",
                "relay.transfer.max-chunk-size=256KB",
                "relay.transfer.credit-window=1MB",
                "relay.transfer.credit-window-max=1MB",
                "relay.transfer.storage-retry-timeout=20s",
                "relay.transfer.expiry-sweep-interval=1h"})
public abstract class CliIntegrationTest {

    public static final long PART = 5L * 1024 * 1024;
    public static final long WINDOW = 1024 * 1024;
    public static final String PASSWORD = "correct horse battery";
    protected static final Duration TIMEOUT = Duration.ofSeconds(90);

    @LocalServerPort
    protected int port;

    @TempDir
    protected Path temp;

    private final List<RelayClient> clients = new ArrayList<>();

    @DynamicPropertySource
    static void services(DynamicPropertyRegistry registry) {
        TestServices.get().springProperties().forEach((key, value) -> registry.add(key, () -> value));
    }

    @AfterEach
    void closeClients() {
        clients.forEach(RelayClient::close);
        clients.clear();
    }

    /** What one run of the CLI did. */
    public record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** A run in a background thread whose output can be watched while it goes on. */
    public static final class Background {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private CompletableFuture<Integer> exit;

        public String err() {
            return err.toString(StandardCharsets.UTF_8);
        }

        public boolean isDone() {
            return exit.isDone();
        }

        public Run await(Duration timeout) throws Exception {
            int code = exit.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err());
        }

        /** Waits until stderr so far satisfies {@code condition}. */
        public void awaitErr(Predicate<String> condition, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!condition.test(err())) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("stderr never matched; it is:\n" + err());
                }
                if (exit.isDone()) {
                    throw new AssertionError("the command ended first; stderr:\n" + err());
                }
                Thread.sleep(50);
            }
        }
    }

    protected String serverUrl() {
        return "http://127.0.0.1:" + port;
    }

    protected Path configFile(String name) {
        return temp.resolve(name).resolve("config.json");
    }

    protected Run relayWithInput(Path config, String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = RelayCli.execute(environment(config, stdin, out, err), args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    protected Run relay(Path config, String... args) {
        return relayWithInput(config, "", args);
    }

    protected Background relayInBackground(Path config, String... args) {
        Background run = new Background();
        CliEnvironment env = environment(config, "", run.out, run.err);
        run.exit = CompletableFuture.supplyAsync(() -> RelayCli.execute(env, args));
        return run;
    }

    private CliEnvironment environment(Path config, String stdin, OutputStream out, OutputStream err) {
        Map<String, String> env = Map.of(ConfigStore.ENV_CONFIG, config.toString(),
                "HOME", temp.resolve("home").toString());
        return CliEnvironment.headless(env, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    protected static String newUsername() {
        return "u" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    /** Registers a fresh user through the CLI against {@code server} and returns its config file. */
    protected Path registeredUser(String server) {
        Path config = configFile(newUsername());
        Run run = relayWithInput(config, PASSWORD + "\n", "register", config.getParent().getFileName().toString(),
                "--server", server, "--password-stdin");
        assertThat(run.exit()).as(run.toString()).isZero();
        return config;
    }

    protected Path registeredUser() {
        return registeredUser(serverUrl());
    }

    protected static Config config(Path file) throws IOException {
        return new ConfigStore(file).load();
    }

    /** A client of the test's own, straight to the service, as the user of {@code config}. */
    protected RelayClient client(Path config) throws IOException {
        RelayClient client = RelayClient.connect(URI.create("ws://127.0.0.1:" + port + "/rsocket"),
                config(config).token());
        clients.add(client);
        return client;
    }

    /** Waits until the CLI has recorded a pending upload (right after creating it) and returns its id. */
    protected static String awaitPendingUpload(Path config, Duration timeout) throws Exception {
        PendingUploads pending = new PendingUploads(config.getParent());
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<PendingUpload> all = pending.all();
            if (!all.isEmpty()) {
                return all.get(0).uploadId();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no pending upload appeared in " + pending.file());
    }

    protected static UploadInfo awaitUpload(RelayClient client, String id, Predicate<UploadInfo> condition) {
        return Mono.delay(Duration.ofMillis(50)).repeat().concatMap(t -> client.upload(id)).filter(condition)
                .blockFirst(TIMEOUT);
    }
}
