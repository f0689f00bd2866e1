package dev.relay.streaming.upload;

import dev.relay.api.wire.UploadTelemetry;
import dev.relay.streaming.testing.InMemoryUploadRepository.Op;
import dev.relay.streaming.upload.SessionHarness.Upload;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.relay.streaming.upload.SessionHarness.OWNER;
import static dev.relay.streaming.upload.SessionHarness.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

/** Many watchers of one upload's telemetry cost one sampler, not one database read each per interval. */
class TelemetrySharingUnitTests {

    private static final Duration INTERVAL = Duration.ofMillis(20);
    private static final int WATCHERS = 50;

    private final SessionHarness engine = new SessionHarness();

    @Test
    void watchersOfOneUploadShareOneSamplerWhichStopsWithTheLast() throws Exception {
        Upload upload = engine.upload(1024, null);
        AtomicInteger samples = new AtomicInteger();
        List<Disposable> watchers = new ArrayList<>();
        int before = engine.repo.controls().calls(Op.FIND);
        for (int i = 0; i < WATCHERS; i++) {
            watchers.add(engine.service.telemetry(OWNER, upload.id(), INTERVAL, Clock.systemUTC())
                    .subscribe(t -> samples.incrementAndGet()));
        }
        Thread.sleep(INTERVAL.toMillis() * 25);
        watchers.forEach(Disposable::dispose);
        int reads = engine.repo.controls().calls(Op.FIND) - before;

        // Every watcher got samples; the reads are one sampler's (about 25 ticks), far from 50 x 25.
        assertThat(samples.get()).isGreaterThanOrEqualTo(WATCHERS);
        assertThat(reads).isBetween(1, 60);

        // The last watcher gone, nothing reads any more; a new watcher starts a sampler again.
        Thread.sleep(INTERVAL.toMillis() * 3);
        int stopped = engine.repo.controls().calls(Op.FIND);
        Thread.sleep(INTERVAL.toMillis() * 10);
        assertThat(engine.repo.controls().calls(Op.FIND)).isEqualTo(stopped);
        UploadTelemetry again = engine.service.telemetry(OWNER, upload.id(), INTERVAL, Clock.systemUTC())
                .blockFirst(TIMEOUT);
        assertThat(again.uploadId()).isEqualTo(upload.id());
    }
}
