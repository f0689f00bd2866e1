package dev.relay.web.faults;

import dev.relay.api.UploadState;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayAuth;
import dev.relay.client.RelayClient;
import dev.relay.infra.testing.TestFiles;
import dev.relay.web.support.ChildService;
import dev.relay.web.support.NoBlockingOnEventLoops;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #18: the default run (embedded MariaDB and S3 server, children of the service's JVM) SIGKILLed mid-upload.
 * The servers must not outlive the JVM, a restart on the same data folder and port must come up by itself, and the
 * upload must continue from its durable offset. The second kill also takes the watchdogs down with the JVM, leaving
 * the servers running, which the restart must recognise as its own leftovers and stop.
 */
class EmbeddedCrashFaultIntegrationTests {

    private static final long PART = 5L * 1024 * 1024;
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(240);

    /**
     * The client's Reactor threads must start under BlockHound: one already waiting for work when a later test class
     * of this JVM installs it would be reported there as blocking.
     */
    @BeforeAll
    static void blockHoundFirst() {
        NoBlockingOnEventLoops.install();
    }

    @Test
    void theDefaultRunSurvivesKillsOnTheSameFolderAndPort() throws Exception {
        Path dataDir = Files.createDirectories(Path.of("target", "embedded-crash", UUID.randomUUID().toString()))
                .toRealPath();
        int port = ChildService.freePort();
        List<String> args = List.of("--relay.embedded.data-dir=" + dataDir, "--relay.transfer.part-size=5MB",
                "--relay.transfer.credit-window-max=256KB", "--relay.transfer.expiry-sweep-interval=1h");
        URI http = URI.create("http://127.0.0.1:" + port);
        URI ws = URI.create("ws://127.0.0.1:" + port + "/rsocket");
        Path file = TestFiles.random(4 * PART + 12345, 18);
        String sha = FileTransfers.sha256(file);
        Process service = start(port, dataDir, args, 1);
        List<Long> restarts = new ArrayList<>();
        try {
            AuthToken user = new RelayAuth(http).register("crash" + (System.nanoTime() % 1_000_000L),
                    "long enough pw").block(TIMEOUT);
            String id;
            RelayClient client = RelayClient.connect(ws, user.token());
            try {
                UploadTicket ticket = client.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
                id = ticket.id();
                writeUntilKilled(new TrackedUpload(id, file), client, service, 0, PART + PART / 2, false);
            } finally {
                client.close();
            }
            // The watchdogs stop the servers once the JVM is gone: nothing of this data folder keeps running.
            awaitNoProcessOf(dataDir, Duration.ofSeconds(45));

            long started = System.nanoTime();
            service = start(port, dataDir, args, 2);
            restarts.add(System.nanoTime() - started);
            client = RelayClient.connect(ws, user.token());
            try {
                long offset = client.upload(id).block(TIMEOUT).offset();
                assertThat(offset).as("durable offset after the first kill").isEqualTo(PART);
                writeUntilKilled(new TrackedUpload(id, file), client, service, offset, 3 * PART + PART / 2, true);
            } finally {
                client.close();
            }
            assertThat(processesOf(dataDir)).as("servers left behind by the second kill").isNotEmpty();

            started = System.nanoTime();
            service = start(port, dataDir, args, 3);
            restarts.add(System.nanoTime() - started);
            assertThat(Files.readString(log(dataDir, 3))).as("the restart's log")
                    .contains("left running by an earlier run");
            client = RelayClient.connect(ws, user.token());
            try {
                TrackedUpload upload = new TrackedUpload(id, file);
                UploadInfo resumedAt = client.upload(id).block(TIMEOUT);
                assertThat(resumedAt.offset()).as("durable offset after the second kill").isEqualTo(3 * PART);
                UploadInfo done = upload.attempt(client, position -> { }, TIMEOUT);
                assertThat(done).isNotNull();
                assertThat(done.state()).isEqualTo(UploadState.COMPLETED);
                assertThat(done.sha256()).isEqualTo(sha);
            } finally {
                client.close();
            }
        } finally {
            service.destroy();
            service.waitFor(60, TimeUnit.SECONDS);
            service.destroyForcibly();
            Files.deleteIfExists(file);
        }
        awaitNoProcessOf(dataDir, Duration.ofSeconds(45));
        FaultResults.record("embedded-crash", "kill -9 of the default run (embedded MariaDB and S3 server)", 2, 2,
                "restart on the same folder and port: " + FaultResults.seconds(restarts.get(0)) + " after the"
                        + " watchdogs stopped the servers, " + FaultResults.seconds(restarts.get(1)) + " stopping"
                        + " the servers a killed watchdog left; resumed at the durable offsets (5 and 15 MiB),"
                        + " completed with the right SHA-256; no process of the folder left");
    }

    private static Process start(int port, Path dataDir, List<String> args, int run) throws Exception {
        return ChildService.startOnDefaults(port, log(dataDir, run), START_TIMEOUT, args);
    }

    private static Path log(Path dataDir, int run) {
        return FaultResults.DIR.resolve("embedded-crash-" + dataDir.getFileName() + "-" + run + ".log");
    }

    /** Writes from {@code offset} and SIGKILLs the service once {@code killAt} bytes of the file went out. */
    private static void writeUntilKilled(TrackedUpload upload, RelayClient client, Process service, long offset,
                                         long killAt, boolean withWatchdogs) throws Exception {
        AtomicBoolean killed = new AtomicBoolean();
        CompletableFuture<UploadInfo> writing = CompletableFuture.supplyAsync(() -> upload.attemptFrom(client, offset,
                position -> {
                    if (position >= killAt && killed.compareAndSet(false, true)) {
                        if (withWatchdogs) {
                            // As an OOM killer or a kill of the JVM's helpers would: only the servers survive.
                            service.toHandle().children()
                                    .filter(child -> commandLine(child).contains("relay-embedded-watchdog"))
                                    .forEach(ProcessHandle::destroyForcibly);
                        }
                        service.destroyForcibly();
                    }
                }, TIMEOUT));
        try {
            writing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            throw new AssertionError("The upload ended without the kill");
        } catch (ExecutionException expected) {
            // The connection died with the service.
        }
        assertThat(service.waitFor(30, TimeUnit.SECONDS)).as("killed").isTrue();
    }

    private static void awaitNoProcessOf(Path dataDir, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!processesOf(dataDir).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(processesOf(dataDir)).as("processes still running for " + dataDir).isEmpty();
    }

    private static List<String> processesOf(Path dataDir) {
        String path = dataDir.toString();
        return ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .map(p -> p.pid() + " " + commandLine(p))
                .filter(line -> line.contains(path))
                .toList();
    }

    private static String commandLine(ProcessHandle process) {
        return process.info().commandLine().orElse("");
    }
}
