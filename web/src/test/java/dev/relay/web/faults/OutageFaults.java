package dev.relay.web.faults;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayAuth;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import dev.relay.embedded.EmbeddedMariaDb;
import dev.relay.infra.testing.TestServices;
import dev.relay.web.support.NoBlockingOnEventLoops;
import dev.relay.infra.testing.TestFiles;
import org.junit.jupiter.api.AfterEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static dev.relay.web.faults.FaultResults.mib;
import static dev.relay.web.faults.FaultResults.seconds;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #4, case 3, for one kind of storage (S3 or the database): an outage shorter than
 * {@code relay.transfer.storage-retry-timeout} is a pause for the client and the upload completes without sending
 * anything twice; a longer one fails the channel with STORAGE_UNAVAILABLE and the durable offset, and the upload
 * resumes from there once storage is back, with nothing durable lost.
 */
// Not a ServiceIntegrationTest: its @DynamicPropertySource would point the service at the shared database, and a
// subclass cannot override that (it is registered after the subclass's); this copies its settings instead.
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "relay.embedded.enabled=false",
        "relay.transfer.part-size=5MB",
        "relay.transfer.max-chunk-size=256KB",
        "relay.transfer.credit-window=1MB",
        "relay.transfer.credit-window-max=1MB",
        "relay.transfer.expiry-sweep-interval=1h"})
abstract class OutageFaults {

    static final long PART = 5L * 1024 * 1024;
    static final int CHUNK = 256 * 1024;

    /** Short outage; the retry timeout leaves room for the last backoff (at most 5 s, plus jitter) after it. */
    static final long OUTAGE_SECONDS = FaultSettings.seconds("outage", 5, 30);
    static final long RETRY_TIMEOUT_SECONDS = FaultSettings.seconds("retry-timeout", 10, 45);
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final long RATE = 4L * 1024 * 1024;

    static {
        NoBlockingOnEventLoops.install();
    }

    @LocalServerPort
    int port;

    /** The shared test services' settings, with the service's own database instead of the shared one if given. */
    static void services(DynamicPropertyRegistry registry, EmbeddedMariaDb ownDatabase) {
        TestServices.get().springProperties().forEach((key, value) -> {
            if (ownDatabase == null || !(key.startsWith("spring.r2dbc.") || key.startsWith("spring.flyway."))) {
                registry.add(key, () -> value);
            }
        });
        if (ownDatabase != null) {
            registry.add("spring.r2dbc.url", ownDatabase::r2dbcUrl);
            registry.add("spring.flyway.url", ownDatabase::jdbcUrl);
            registry.add("spring.r2dbc.username", ownDatabase::user);
            registry.add("spring.flyway.user", ownDatabase::user);
            registry.add("spring.r2dbc.password", ownDatabase::password);
            registry.add("spring.flyway.password", ownDatabase::password);
        }
        registry.add("relay.transfer.storage-retry-timeout", () -> RETRY_TIMEOUT_SECONDS + "s");
    }

    @AfterEach
    void checkForBlocking() {
        assertThat(NoBlockingOnEventLoops.drain()).as("blocking calls on event-loop threads").isEmpty();
    }

    abstract String kind();

    abstract void stopStorage() throws Exception;

    abstract void startStorage() throws Exception;

    /** A running upload, the position at which storage goes away, and a latch that opens there. */
    private record Running(TrackedUpload upload, CompletableFuture<UploadInfo> writing, List<Long> sendTimes,
                           String sha, long size, RelayClient client) {
    }

    private Running startUpload(Random random, String id) throws Exception {
        URI http = URI.create("http://127.0.0.1:" + port);
        String name = "outage" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
        RelayClient client = RelayClient.connect(URI.create("ws://127.0.0.1:" + port + "/rsocket"),
                new RelayAuth(http).register(name, "long enough pw").block(TIMEOUT).token());
        long size = 6 * PART + (long) (random.nextDouble() * PART);
        long stopAt = PART + (long) (random.nextDouble() * PART);
        int fileSeed = random.nextInt();
        System.out.printf("[faults] %s: size %d, storage stopped once %d bytes are sent (file seed %d)%n", id, size,
                stopAt, fileSeed);
        Path file = TestFiles.random(size, fileSeed);
        UploadTicket ticket = client.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        // Paced by the server's own rate cap, so that the upload is still running when storage is down: stopping
        // MariaDB takes a second or two, in which an unpaced loopback upload of this size would be over.
        client.limit(ticket.id(), RATE).block(TIMEOUT);
        TrackedUpload upload = new TrackedUpload(ticket.id(), file);
        List<Long> sendTimes = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch reached = new CountDownLatch(1);
        CompletableFuture<UploadInfo> writing = CompletableFuture.supplyAsync(() -> upload.attemptFrom(client, 0,
                position -> {
                    sendTimes.add(System.nanoTime());
                    if (position >= stopAt) {
                        reached.countDown();
                    }
                }, TIMEOUT.plusSeconds(2 * RETRY_TIMEOUT_SECONDS)));
        assertThat(reached.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("upload reached the outage point")
                .isTrue();
        return new Running(upload, writing, sendTimes, FileTransfers.sha256(file), size, client);
    }

    /** The short outage: a pause for the client (credit stops), then the upload completes, nothing sent twice. */
    void shortOutageIsAPause() throws Exception {
        String id = kind() + "-outage-short";
        Random random = FaultSettings.random(id);
        Running run = startUpload(random, id);
        List<String> failures = new ArrayList<>();
        long stopBegin = System.nanoTime();
        stopStorage();
        long stopped = System.nanoTime();
        long restarted;
        long started;
        try {
            if (run.writing().isDone()) {
                failures.add("the upload was over before storage was down: " + outcome(run.writing()));
            }
            Thread.sleep(TimeUnit.SECONDS.toMillis(OUTAGE_SECONDS));
            if (run.writing().isDone()) {
                failures.add("the channel ended during the outage: " + outcome(run.writing()));
            }
        } finally {
            restarted = System.nanoTime();
            startStorage();
            started = System.nanoTime();
        }
        UploadInfo done = null;
        try {
            done = run.writing().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            failures.add("the upload did not complete: " + e);
        }
        long completed = System.nanoTime();
        if (done == null || done.state() != UploadState.COMPLETED || !run.sha().equals(done.sha256())) {
            failures.add("ended as " + done);
        }
        if (run.upload().totalSent() != run.size()) {
            failures.add("sent " + run.upload().totalSent() + " bytes for " + run.size());
        }
        long longestGap = longestGap(run.sendTimes());
        long sentWhileDown = chunksBetween(run.sendTimes(), stopped, restarted) * CHUNK;
        // Buffers fill and credit stops: at most a part waiting for its record, one going to S3 and one filling,
        // plus the window, arrive while storage is down; then the client pauses. (At 4 MiB/s those take about 3 s
        // to arrive, so a 5 s outage leaves a pause of 2 s or more; unpaused, chunks leave every 60 ms.)
        if (sentWhileDown > 3 * PART + 1024 * 1024) {
            failures.add("the client sent " + sentWhileDown + " bytes while storage was down");
        }
        if (longestGap < TimeUnit.SECONDS.toNanos(1)) {
            failures.add("the client paused at most " + seconds(longestGap));
        }
        // -1: nothing was left to send once storage was back (it all went while storage was down).
        long firstAfter = run.sendTimes().stream().filter(t -> t >= restarted).findFirst().orElse(-1L);
        run.client().close();
        FaultResults.record(id, kind() + " stopped " + OUTAGE_SECONDS + " s mid-upload (retry timeout "
                        + RETRY_TIMEOUT_SECONDS + " s)", 1,
                failures.isEmpty() ? 1 : 0,
                String.format("longest pause seen by the client %s; stopping took %s, starting %s; sent while"
                                + " storage was down %s; from the start command to the first byte sent %s, to"
                                + " completed %s; bytes sent twice %d%s",
                        seconds(longestGap), seconds(stopped - stopBegin), seconds(started - restarted),
                        mib(sentWhileDown),
                        firstAfter < 0 ? "- (nothing left to send)" : seconds(firstAfter - restarted),
                        seconds(completed - restarted),
                        run.upload().totalSent() - run.size(), failures.isEmpty() ? "" : "; failures: " + failures));
        assertThat(failures).isEmpty();
    }

    void longOutageFailsClearlyAndResumes() throws Exception {
        String id = kind() + "-outage-long";
        Random random = FaultSettings.random(id);
        Running run = startUpload(random, id);
        List<String> failures = new ArrayList<>();
        long failedAfter = -1;
        RelayException error = null;
        stopStorage();
        long stopped = System.nanoTime();
        try {
            if (run.writing().isDone()) {
                failures.add("the upload was over before storage was down: " + outcome(run.writing()));
            }
            try {
                UploadInfo unexpected = run.writing().get(RETRY_TIMEOUT_SECONDS + 90, TimeUnit.SECONDS);
                failures.add("the upload completed while storage was down: " + unexpected);
            } catch (ExecutionException e) {
                failedAfter = System.nanoTime() - stopped;
                if (e.getCause() instanceof RelayException re) {
                    error = re;
                } else {
                    failures.add("the channel failed with " + e.getCause());
                }
            }
        } finally {
            startStorage();
        }
        long restarted = System.nanoTime();
        // The silence the client saw before the failure: from its last byte sent to the error.
        long lastSend = run.sendTimes().isEmpty() ? stopped : run.sendTimes().get(run.sendTimes().size() - 1);
        long pause = failedAfter < 0 ? 0 : stopped + failedAfter - lastSend;
        if (error != null && (error.code() != ErrorCode.STORAGE_UNAVAILABLE || error.offset() == null)) {
            failures.add("the channel failed with " + error.code() + ", offset " + error.offset());
        }
        run.upload().interrupted(restarted);
        UploadInfo back = retry(() -> run.client().upload(run.upload().id).block(Duration.ofSeconds(10)));
        if (error != null && error.offset() != null && back.offset() < error.offset()) {
            failures.add("durable offset went back from " + error.offset() + " to " + back.offset());
        }
        UploadInfo done = null;
        for (int attempt = 0; attempt < 5 && done == null; attempt++) {
            try {
                done = run.upload().attempt(run.client(), position -> { }, TIMEOUT);
            } catch (RuntimeException e) {
                System.out.println("[faults] resume attempt failed: " + e);
                Thread.sleep(500);
            }
        }
        long completed = System.nanoTime();
        if (done == null || done.state() != UploadState.COMPLETED || !run.sha().equals(done.sha256())) {
            failures.add("ended as " + done);
        }
        run.client().close();
        List<Long> resent = run.upload().resent();
        FaultResults.record(id, kind() + " stopped longer than the retry timeout (" + RETRY_TIMEOUT_SECONDS
                        + " s)", 1, failures.isEmpty() ? 1 : 0,
                String.format("channel failed %s after storage was down with %s, offset %s (durable after"
                                + " restart %d); client paused %s before the failure; storage back to completed %s;"
                                + " re-sent on resume %s (part %s)%s",
                        failedAfter < 0 ? "never" : seconds(failedAfter), error == null ? "nothing" : error.code(),
                        error == null ? "-" : error.offset(), back.offset(), seconds(pause),
                        seconds(completed - restarted),
                        mib(resent.isEmpty() ? 0 : resent.get(0)), mib(PART),
                        failures.isEmpty() ? "" : "; failures: " + failures));
        assertThat(failures).isEmpty();
    }

    private static long longestGap(List<Long> times) {
        long gap = 0;
        for (int i = 1; i < times.size(); i++) {
            gap = Math.max(gap, times.get(i) - times.get(i - 1));
        }
        return gap;
    }

    private static long chunksBetween(List<Long> times, long from, long to) {
        return times.stream().filter(t -> t >= from && t < to).count();
    }

    private static String outcome(CompletableFuture<UploadInfo> future) {
        try {
            return String.valueOf(future.getNow(null));
        } catch (RuntimeException e) {
            return e.getCause() == null ? e.toString() : e.getCause().toString();
        }
    }

    private static <T> T retry(java.util.concurrent.Callable<T> call) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            try {
                return call.call();
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(500);
            }
        }
    }
}
