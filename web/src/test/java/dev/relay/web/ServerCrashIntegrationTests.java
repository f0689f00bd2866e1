package dev.relay.web;

import dev.relay.api.UploadState;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayAuth;
import dev.relay.client.RelayClient;
import dev.relay.web.support.ChildService;
import dev.relay.infra.testing.TestFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Sinks;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.relay.web.support.ServiceIntegrationTest.CHUNK;
import static dev.relay.web.support.ServiceIntegrationTest.PART;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service killed with SIGKILL mid-upload (no shutdown hook, no staging) and started again: the upload resumes
 * from the durable offset in the database. The service runs in a child JVM so it can really be killed.
 */
class ServerCrashIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final java.util.concurrent.atomic.AtomicInteger STARTS = new java.util.concurrent.atomic.AtomicInteger();
    private final List<Process> services = new ArrayList<>();
    private final List<RelayClient> clients = new ArrayList<>();

    @AfterEach
    void stopEverything() {
        clients.forEach(RelayClient::close);
        services.forEach(Process::destroyForcibly);
    }

    @Test
    void anUploadResumesFromTheDurableOffsetAfterTheServiceWasKilledHavingLostAtMostOnePart() throws Exception {
        // The default: credit only for room in the one part being received, which S3 receives as it fills.
        killMidUploadAndResume(false, PART);
    }

    @Test
    void withReceiveAheadAKillCostsAtMostTwoPartsAndTheWindow() throws Exception {
        // Received but not yet stored: the part being stored and the part being received, plus what was in flight.
        killMidUploadAndResume(true, 2 * PART + CHUNK);
    }

    private void killMidUploadAndResume(boolean receiveAhead, long maxResent) throws Exception {
        int port = ChildService.freePort();
        Process first = start(port, "--relay.transfer.receive-ahead=" + receiveAhead);
        URI http = URI.create("http://127.0.0.1:" + port);
        URI ws = URI.create("ws://127.0.0.1:" + port + "/rsocket");
        AuthToken alice = new RelayAuth(http).register("crash" + System.nanoTime() % 1_000_000, "long enough pw")
                .block(TIMEOUT);
        Path file = TestFiles.random(4 * PART + 4321, 41);
        long size = Files.size(file);

        RelayClient before = connect(ws, alice);
        UploadTicket ticket = before.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        AtomicLong sentBefore = new AtomicLong();
        Sinks.One<Long> twoPartsDurable = Sinks.one();
        Disposable upload = before.write(ticket.id(), 0, FileTransfers.read(file, 0, CHUNK)
                        .doOnNext(b -> sentBefore.addAndGet(b.remaining())))
                .subscribe(e -> {
                    if (e.offset() >= 2 * PART) {
                        twoPartsDurable.tryEmitValue(e.offset());
                    }
                }, e -> { });
        twoPartsDurable.asMono().block(TIMEOUT);

        first.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        upload.dispose();
        start(port, "--relay.transfer.receive-ahead=" + receiveAhead);

        RelayClient after = connect(ws, alice);
        UploadInfo resumedAt = after.upload(ticket.id()).block(TIMEOUT);
        UploadInfo done = new FileTransfers(after).resume(ticket.id(), file, CHUNK, e -> { }).block(TIMEOUT);

        assertThat(done.state()).isEqualTo(UploadState.COMPLETED);
        assertThat(done.sha256()).isEqualTo(FileTransfers.sha256(file));
        assertThat(resumedAt.offset()).as("durable offset survives the kill").isGreaterThanOrEqualTo(2 * PART);
        assertThat(resumedAt.offset() % PART).as("without a shutdown, durability is per part").isZero();
        long resent = sentBefore.get() - resumedAt.offset();
        assertThat(resent).as("bytes sent twice").isLessThanOrEqualTo(maxResent);
        assertThat(size).isEqualTo(done.size());
    }

    @Test
    void aGracefulShutdownMakesEverythingReceivedDurable() throws Exception {
        int port = ChildService.freePort();
        Process first = start(port);
        URI ws = URI.create("ws://127.0.0.1:" + port + "/rsocket");
        AuthToken alice = new RelayAuth(URI.create("http://127.0.0.1:" + port))
                .register("stop" + System.nanoTime() % 1_000_000, "long enough pw").block(TIMEOUT);
        Path file = TestFiles.random(3 * PART + 999, 42);
        RelayClient before = connect(ws, alice);
        UploadTicket ticket = before.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        long cut = PART + PART / 3 + 7;
        Sinks.One<Long> received = Sinks.one();
        before.write(ticket.id(), 0, FileTransfers.read(file, 0, CHUNK).as(f -> UploadIntegrationTests.limitBytes(f,
                        cut)))
                .subscribe(e -> {
                    if (e.received() == cut) {
                        received.tryEmitValue(cut);
                    }
                }, e -> { });
        received.asMono().block(TIMEOUT);

        first.destroy();
        assertThat(first.waitFor(60, TimeUnit.SECONDS)).as("the service stops on SIGTERM").isTrue();
        start(port);

        UploadInfo afterRestart = connect(ws, alice).upload(ticket.id()).block(TIMEOUT);
        assertThat(afterRestart.offset()).as("everything received survived the shutdown").isEqualTo(cut);
        UploadInfo done = new FileTransfers(connect(ws, alice)).resume(ticket.id(), file, CHUNK, e -> { })
                .block(TIMEOUT);
        assertThat(done.sha256()).isEqualTo(FileTransfers.sha256(file));
    }

    private RelayClient connect(URI ws, AuthToken token) {
        RelayClient client = RelayClient.connect(ws, token.token());
        clients.add(client);
        return client;
    }

    /** The service with 5 MiB parts and the window a fast link has (one chunk), so the crash bounds are exact. */
    private Process start(int port, String... extraArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("--relay.transfer.part-size=5MB",
                "--relay.transfer.max-chunk-size=256KB", "--relay.transfer.credit-window=256KB",
                "--relay.transfer.credit-window-max=256KB"));
        args.addAll(List.of(extraArgs));
        Path log = Path.of("target", "crash-test-service-" + STARTS.incrementAndGet() + ".log");
        Process process = ChildService.start(port, log, Duration.ofSeconds(60), args);
        services.add(process);
        return process;
    }
}
