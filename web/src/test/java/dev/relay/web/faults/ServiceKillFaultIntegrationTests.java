package dev.relay.web.faults;

import dev.relay.api.UploadState;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayAuth;
import dev.relay.client.RelayClient;
import dev.relay.infra.testing.DelayRelay;
import dev.relay.infra.testing.TestFiles;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.relay.web.faults.FaultResults.max;
import static dev.relay.web.faults.FaultResults.median;
import static dev.relay.web.faults.FaultResults.mib;
import static dev.relay.web.faults.FaultResults.seconds;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #4, case 1: the service (a child JVM) SIGKILLed at random points of uploads of random sizes, then started
 * again; each upload must complete from its durable offset with the right SHA-256 (checked on the server's digest
 * and on a download), re-sending no more than the design allows.
 */
class ServiceKillFaultIntegrationTests {

    /** ServiceProcess's part size; the defaults' shape (parts of half the part size) doubles it. */
    private static final long PART = 5L * 1024 * 1024;
    /** The service runs with the window a fast link has: one chunk (ServiceProcess). */
    private static final long WINDOW = 256 * 1024;
    private static final long SLOW_LINK_PART = 12L * 1024 * 1024;
    private static final Duration SLOW_LINK_ONE_WAY = Duration.ofMillis(20);
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    /**
     * The defaults' shape, scaled down: parts of 5 MiB within a 10 MiB part size. Bytes run past a part's end while
     * it is stored, by what arrives meanwhile; a crash costs at most the part size.
     */
    @Test
    void killsWithTheDefaults() throws Exception {
        killAndResume("kill-default", "kill -9 mid-upload (defaults: 5 MiB parts, 10 MiB part size)",
                FaultSettings.count("kills", 3, 20),
                new Setup(List.of("--relay.transfer.part-size=10MB", "--relay.transfer.preferred-part-size=5MB"),
                        2 * PART, PART, 2 * PART, true, Duration.ZERO));
    }

    /**
     * Parts as long as the part size: nothing may run past a part's end, so the next part is received only once the
     * previous one is stored and recorded, and a crash costs at most the part being received.
     */
    @Test
    void killsWithWholeParts() throws Exception {
        killAndResume("kill-whole-parts", "kill -9 mid-upload (5 MiB parts, 5 MiB part size)",
                FaultSettings.count("kills-whole-parts", 0, 20), new Setup(List.of(), PART, PART, PART, true,
                        Duration.ZERO));
    }

    /**
     * A 40 ms round trip (a delay relay between client and service) with the window free to grow to the
     * bandwidth-delay product, and the defaults' shape (parts filled to half the part size): the flow runs on past a
     * part's end while the part is stored, into the room up to the part size (parts are shortened when that room is
     * not enough), and a crash still costs at most the part size.
     */
    @Test
    void killsOnASlowLink() throws Exception {
        killAndResume("kill-slow-link", "kill -9 mid-upload, 40 ms round trip, 12 MiB part size, 6 MiB parts",
                FaultSettings.count("kills-slow-link", 2, 20),
                new Setup(List.of("--relay.transfer.part-size=12MB", "--relay.transfer.preferred-part-size=6MB",
                        "--relay.transfer.credit-window-max=16MB"),
                        SLOW_LINK_PART, SLOW_LINK_PART / 2, SLOW_LINK_PART, true, SLOW_LINK_ONE_WAY));
    }

    /**
     * With receive-ahead a crash may cost the part being stored and the part being received, plus the window; and
     * since a part's buffer is reused as soon as S3 has it while its database record may still be pending, a third
     * part can be in S3 without being durable (seen once in 100 kills: 12.75 MiB). Measured and reported, in the full
     * run only.
     */
    @Test
    void killsWithReceiveAhead() throws Exception {
        killAndResume("kill-receive-ahead", "kill -9 mid-upload, receive-ahead=true",
                FaultSettings.count("kills-receive-ahead", 0, 20),
                new Setup(List.of("--relay.transfer.receive-ahead=true"), PART, PART, 2 * PART + WINDOW, false,
                        Duration.ZERO));
    }

    /**
     * How the service runs and what a kill may cost.
     *
     * @param args         service options besides ServiceProcess's
     * @param partSize     the service's part size
     * @param partLength   the length its parts are filled to (the preferred part size)
     * @param bound        the documented most a resume may re-send
     * @param enforceBound whether re-sending more fails the case (otherwise it is reported)
     * @param oneWayDelay  latency added each way between client and service (zero: the client connects directly)
     */
    private record Setup(List<String> args, long partSize, long partLength, long bound, boolean enforceBound,
                         Duration oneWayDelay) {
    }

    private void killAndResume(String id, String description, int kills, Setup setup) throws Exception {
        long bound = setup.bound();
        // The quick run leaves receive-ahead to ServerCrashIntegrationTests (one kill each way).
        Assumptions.assumeTrue(kills > 0, "no kills asked for in this mode");
        Random random = FaultSettings.random(id);
        List<String> failures = new ArrayList<>();
        List<String> aboveBound = new ArrayList<>();
        List<Long> resent = new ArrayList<>();
        List<Long> restarts = new ArrayList<>();
        List<Long> recoveries = new ArrayList<>();
        int passed = 0;
        try (ServiceProcess service = new ServiceProcess(setup.args().toArray(String[]::new));
             DelayRelay delay = new DelayRelay(new InetSocketAddress("127.0.0.1", service.port()),
                     setup.oneWayDelay())) {
            service.start();
            URI http = URI.create("http://127.0.0.1:" + service.port());
            int wsPort = setup.oneWayDelay().isZero() ? service.port() : delay.port();
            URI ws = URI.create("ws://127.0.0.1:" + wsPort + "/rsocket");
            AuthToken user = new RelayAuth(http).register("kill" + (System.nanoTime() % 1_000_000_000L),
                    "long enough pw").block(TIMEOUT);
            for (int i = 1; i <= kills; i++) {
                long size = setup.partSize() / 2 + (long) (random.nextDouble() * 6 * setup.partSize());
                long killAt = (long) (random.nextDouble() * size);
                int fileSeed = random.nextInt();
                System.out.printf("[faults] %s #%d: size %d, kill after %d bytes sent (file seed %d)%n", id, i, size,
                        killAt, fileSeed);
                Path file = TestFiles.random(size, fileSeed);
                try {
                    Kill kill = killOnce(service, http, ws, user, file, killAt, setup);
                    resent.add(kill.resent);
                    restarts.add(kill.restartNanos);
                    recoveries.add(kill.recoveryNanos);
                    if (kill.resent > bound) {
                        aboveBound.add("#" + i + ": " + kill.resent);
                    }
                    if (kill.resent > bound && setup.enforceBound()) {
                        failures.add("#" + i + ": re-sent " + kill.resent + " bytes, above the bound " + bound);
                    } else {
                        passed++;
                    }
                } catch (Throwable e) {
                    failures.add("#" + i + " (size " + size + ", kill at " + killAt + "): " + e);
                    e.printStackTrace(System.out);
                    if (!service.alive()) {
                        service.start();
                    }
                } finally {
                    Files.deleteIfExists(file);
                }
            }
        }
        String figures = String.format("re-sent per resume: max %s, median %s (part %s; documented bound %s, exceeded"
                        + " %d times%s); restart: median %s, max %s; kill to first byte re-sent: median %s, max %s%s",
                mib(max(resent)), mib(median(resent)), mib(setup.partSize()), mib(bound), aboveBound.size(),
                aboveBound.isEmpty() ? "" : ": " + aboveBound, seconds(median(restarts)), seconds(max(restarts)),
                seconds(median(recoveries)), seconds(max(recoveries)),
                failures.isEmpty() ? "" : "; failures: " + failures);
        FaultResults.record(id, description, kills, passed, figures);
        assertThat(failures).isEmpty();
    }

    private record Kill(long resent, long restartNanos, long recoveryNanos) {
    }

    private Kill killOnce(ServiceProcess service, URI http, URI ws, AuthToken user, Path file, long killAt,
                          Setup setup) throws Exception {
        String sha = FileTransfers.sha256(file);
        RelayClient before = RelayClient.connect(ws, user.token());
        TrackedUpload upload;
        AtomicLong killedAt = new AtomicLong(-1);
        try {
            UploadTicket ticket = before.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
            upload = new TrackedUpload(ticket.id(), file);
            TrackedUpload tracked = upload;
            CompletableFuture<UploadInfo> writing = CompletableFuture.supplyAsync(() -> tracked.attemptFrom(before,
                    0, position -> {
                        if (position >= killAt && killedAt.compareAndSet(-1, System.nanoTime())) {
                            service.kill();
                        }
                    }, TIMEOUT));
            try {
                UploadInfo unexpected = writing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                throw new AssertionError("The upload ended without the kill: " + unexpected);
            } catch (java.util.concurrent.ExecutionException expected) {
                // The connection died with the service.
            }
            service.awaitDeath();
        } finally {
            before.close();
        }
        upload.interrupted(killedAt.get());
        long restart = service.start();

        RelayClient after = RelayClient.connect(ws, user.token());
        try {
            UploadInfo resumedAt = after.upload(upload.id).block(TIMEOUT);
            if (setup.oneWayDelay().isZero()) {
                // Parts are shortened only when what runs past them does not fit in the part size: on a slow link.
                assertThat(resumedAt.offset() % setup.partLength()).as("without a shutdown, durability is per part")
                        .isZero();
            }
            UploadInfo done = null;
            for (int attempt = 0; attempt < 5 && done == null; attempt++) {
                done = upload.attempt(after, position -> { }, TIMEOUT);
            }
            assertThat(done).as("completed").isNotNull();
            assertThat(done.state()).isEqualTo(UploadState.COMPLETED);
            assertThat(done.sha256()).isEqualTo(sha);
            Path copy = FaultResults.DIR.resolve("download-" + upload.id);
            try {
                new FileTransfers(after).download(upload.id, copy).block(TIMEOUT);
                assertThat(FileTransfers.sha256(copy)).as("downloaded bytes").isEqualTo(sha);
            } finally {
                Files.deleteIfExists(copy);
            }
            assertThat(upload.unattributedResent()).isZero();
            long resent = upload.resent().get(0);
            long recovery = upload.recoveryNanos().isEmpty() ? 0 : upload.recoveryNanos().get(0);
            System.out.printf("[faults] durable offset after restart %d, re-sent %d, restart %s%n",
                    resumedAt.offset(), resent, seconds(restart));
            return new Kill(resent, restart, recovery);
        } finally {
            after.close();
        }
    }
}
