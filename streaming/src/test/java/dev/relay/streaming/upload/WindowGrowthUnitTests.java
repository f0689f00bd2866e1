package dev.relay.streaming.upload;

import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadTelemetry;
import dev.relay.streaming.upload.SessionHarness.Upload;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static dev.relay.streaming.upload.SessionHarness.CHUNK;
import static dev.relay.streaming.upload.SessionHarness.MIB;
import static dev.relay.streaming.upload.SessionHarness.OWNER;
import static dev.relay.streaming.upload.SessionHarness.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A whole session with a client that answers each credit 5 to 15 ms after it was granted, each independently (as
 * a browser with a read-ahead, or a path with that latency): the window, which starts at one chunk, grows, so that
 * more than one chunk is in flight per turnaround. See WindowProbeUnitTests for the window alone.
 */
class WindowGrowthUnitTests {

    private final SessionHarness engine = new SessionHarness();
    private final ScheduledExecutorService client = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        client.shutdownNow();
    }

    @Test
    void aClientThatTakesMillisecondsToAnswerEachCreditGetsMoreThanOneChunkInFlight() {
        Upload upload = engine.upload((int) (24 * MIB), null);
        Random random = new Random(5);
        long[] next = {0, 0}; // the byte to send next, and when the previous chunk went
        Flux<Chunk> chunks = Flux.create(sink -> sink.onRequest(n -> client.execute(() -> {
            for (long i = 0; i < n; i++) {
                long at = Math.max(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5 + random.nextInt(11)),
                        next[1]);
                next[1] = at;
                client.schedule(() -> {
                    int length = (int) Math.min(CHUNK, upload.size() - next[0]);
                    sink.next(Chunk.of(ByteBuffer.wrap(upload.data(), (int) next[0], length).slice()));
                    next[0] += length;
                }, at - System.nanoTime(), TimeUnit.NANOSECONDS);
            }
        })));
        List<UploadEvent> events = new CopyOnWriteArrayList<>();
        Disposable channel = engine.service.write(OWNER, upload.id(), 0, chunks).subscribe(events::add);
        List<Long> windows = new CopyOnWriteArrayList<>();
        Disposable sampling = engine.service.telemetry(OWNER, upload.id(), Duration.ofMillis(10), Clock.systemUTC())
                .map(UploadTelemetry::windowBytes)
                .subscribe(windows::add);
        try {
            SessionHarness.await("the upload completed", () -> !events.isEmpty()
                    && events.get(events.size() - 1).type() == UploadEvent.Type.COMPLETED);
        } finally {
            sampling.dispose();
            channel.dispose();
        }
        // One chunk per 10 ms turnaround is 6.5 MB/s; the window's maximum (16 chunks) is 100.
        assertThat(windows.stream().mapToLong(Long::longValue).max().orElse(0))
                .as("the largest window sampled (windows seen: %s)", windows.stream().distinct().toList()).isGreaterThanOrEqualTo(4L * CHUNK);
        assertThat(engine.record(upload.id()).durableOffset()).isEqualTo(upload.size());
    }
}
