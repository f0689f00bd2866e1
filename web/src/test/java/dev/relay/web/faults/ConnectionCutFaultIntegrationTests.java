package dev.relay.web.faults;

import dev.relay.api.UploadState;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import dev.relay.infra.testing.TcpProxy;
import dev.relay.web.support.ServiceIntegrationTest;
import dev.relay.infra.testing.TestFiles;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.relay.web.faults.FaultResults.kib;
import static dev.relay.web.faults.FaultResults.max;
import static dev.relay.web.faults.FaultResults.median;
import static dev.relay.web.faults.FaultResults.seconds;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #4, case 2: abrupt TCP cuts between client and service (a loopback proxy that resets or closes the
 * connection after a random number of upstream bytes, mid-frame); the client reconnects and resumes, every upload
 * completes with the right SHA-256, and each cut costs at most what was in flight: the credit window, here the
 * service's default of one chunk (issue #4: "re-sent bytes after a dropped connection at most one chunk").
 */
@TestPropertySource(properties = {"relay.transfer.credit-window=256KB", "relay.transfer.credit-window-max=256KB"})
class ConnectionCutFaultIntegrationTests extends ServiceIntegrationTest {

    /** The service's default window, pinned (on loopback the adaptive window stays there anyway). */
    private static final long WINDOW = CHUNK;

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int MAX_ATTEMPTS_PER_CUT = 10;

    @Test
    void uploadsCompleteThroughAbruptConnectionCuts() throws Exception {
        int cuts = FaultSettings.count("cuts", 5, 50);
        Random random = FaultSettings.random("tcp-cuts");
        AuthToken user = newUser();
        List<String> failures = new ArrayList<>();
        Map<TcpProxy.Cut, List<Long>> resent = new EnumMap<>(TcpProxy.Cut.class);
        List<Long> recoveries = new ArrayList<>();
        int uploads = 0;
        int cutsDone = 0;
        int cutsPassed = 0;
        int errorsSeen = 0;
        try (TcpProxy proxy = new TcpProxy(port);
             RelayClient client = RelayClient.connect(URI.create("ws://127.0.0.1:" + proxy.port() + "/rsocket"),
                     user.token())) {
            while (cutsDone < cuts) {
                uploads++;
                long size = 256 * 1024 + (long) (random.nextDouble() * 3 * PART);
                int planned = Math.min(cuts - cutsDone, 1 + random.nextInt(3));
                int fileSeed = random.nextInt();
                Path file = TestFiles.random(size, fileSeed);
                String sha = FileTransfers.sha256(file);
                UploadTicket ticket = retrying(() -> client.createUpload(FileTransfers.describe(file, null))
                        .block(TIMEOUT));
                TrackedUpload upload = new TrackedUpload(ticket.id(), file);
                List<TcpProxy.Cut> kinds = new ArrayList<>();
                int cutsBefore = proxy.cuts();
                UploadInfo done = null;
                int attempts = 0;
                while (done == null && attempts++ < MAX_ATTEMPTS_PER_CUT * (planned + 1)) {
                    if (proxy.cuts() - cutsBefore == kinds.size() && kinds.size() < planned) {
                        // Arm the next cut somewhere in what is left to send (plus framing and other requests).
                        TcpProxy.Cut how = random.nextBoolean() ? TcpProxy.Cut.RST : TcpProxy.Cut.FIN;
                        long left = Math.max(64 * 1024, size - upload.totalSent() + upload.resentTotal());
                        long after = (long) (random.nextDouble() * left);
                        kinds.add(how);
                        System.out.printf("[faults] tcp-cuts upload %d (size %d, file seed %d): %s after %d"
                                + " upstream bytes%n", uploads, size, fileSeed, how, after);
                        proxy.arm(after, how);
                    }
                    int cutsAtStart = proxy.cuts();
                    try {
                        done = upload.attempt(client, position -> { }, TIMEOUT);
                    } catch (RuntimeException e) {
                        errorsSeen++;
                        if (e instanceof RelayException re && !retryable(re)) {
                            failures.add("upload " + uploads + ": " + e);
                            break;
                        }
                        Thread.sleep(50);
                    }
                    if (proxy.cuts() > cutsAtStart) {
                        upload.interrupted(proxy.lastCutNanos());
                    }
                }
                proxy.disarm();
                int made = proxy.cuts() - cutsBefore;
                cutsDone += made;
                List<Long> perCut = upload.resent();
                boolean ok = done != null && done.state() == UploadState.COMPLETED && sha.equals(done.sha256());
                if (!ok) {
                    failures.add("upload " + uploads + " (size " + size + "): ended as " + done);
                }
                for (int k = 0; k < made; k++) {
                    long bytes = k < perCut.size() ? perCut.get(k) : 0;
                    resent.computeIfAbsent(kinds.get(k), x -> new ArrayList<>()).add(bytes);
                    if (ok && bytes <= WINDOW) {
                        cutsPassed++;
                    } else if (bytes > WINDOW) {
                        failures.add("upload " + uploads + ", cut " + (k + 1) + " (" + kinds.get(k) + "): re-sent "
                                + bytes + " bytes, above the window");
                    }
                }
                recoveries.addAll(upload.recoveryNanos());
                if (upload.unattributedResent() > 0) {
                    failures.add("upload " + uploads + ": " + upload.unattributedResent()
                            + " bytes re-sent without a cut");
                }
                Files.deleteIfExists(file);
            }
        }
        List<Long> all = new ArrayList<>();
        resent.values().forEach(all::addAll);
        FaultResults.record("tcp-cuts", "abrupt TCP cuts mid-upload (RST or FIN, mid-frame)", cutsDone, cutsPassed,
                String.format("%d uploads, %d RST + %d FIN cuts; re-sent per cut: max %s, median %s (window %s);"
                                + " RST max %s, FIN max %s; cut to first byte re-sent: median %s, max %s;"
                                + " %d failed attempts retried%s",
                        uploads, resent.getOrDefault(TcpProxy.Cut.RST, List.of()).size(),
                        resent.getOrDefault(TcpProxy.Cut.FIN, List.of()).size(), kib(max(all)), kib(median(all)),
                        kib(WINDOW), kib(max(resent.getOrDefault(TcpProxy.Cut.RST, List.of()))),
                        kib(max(resent.getOrDefault(TcpProxy.Cut.FIN, List.of()))), seconds(median(recoveries)),
                        seconds(max(recoveries)), errorsSeen, failures.isEmpty() ? "" : "; failures: " + failures));
        assertThat(failures).isEmpty();
        assertThat(cutsDone).isGreaterThanOrEqualTo(cuts);
    }

    private static boolean retryable(RelayException e) {
        return switch (e.code()) {
            case TAKEN_OVER, STORAGE_UNAVAILABLE, SHUTTING_DOWN, OFFSET_MISMATCH, INTERNAL -> true;
            default -> false;
        };
    }

    private static <T> T retrying(java.util.concurrent.Callable<T> call) throws Exception {
        for (int i = 0; ; i++) {
            try {
                return call.call();
            } catch (RuntimeException e) {
                if (i >= 10) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }
}
