package dev.relay.web.config;

import dev.relay.streaming.upload.UploadExpiry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.time.Instant;

/** Runs {@link UploadExpiry#sweep} periodically while the application runs; a failed sweep is logged and retried. */
final class ExpiryScheduler implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ExpiryScheduler.class);

    private final UploadExpiry expiry;
    private final Duration interval;
    private volatile Disposable running;

    ExpiryScheduler(UploadExpiry expiry, Duration interval) {
        this.expiry = expiry;
        this.interval = interval;
    }

    @Override
    public void start() {
        running = Flux.interval(interval, interval)
                .onBackpressureDrop()
                .concatMap(tick -> expiry.sweep(Instant.now())
                        .doOnNext(r -> {
                            if (r.expired() + r.orphansAborted() > 0) {
                                log.info("Expiry sweep: {} uploads expired, {} orphaned multipart uploads aborted",
                                        r.expired(), r.orphansAborted());
                            }
                        })
                        .onErrorResume(e -> {
                            log.warn("Expiry sweep failed; retrying at the next interval", e);
                            return Mono.empty();
                        }), 0)
                .subscribe();
    }

    @Override
    public void stop() {
        Disposable d = running;
        if (d != null) {
            d.dispose();
        }
        running = null;
    }

    @Override
    public boolean isRunning() {
        return running != null;
    }
}
