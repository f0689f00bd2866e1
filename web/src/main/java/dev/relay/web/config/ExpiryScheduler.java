package dev.relay.web.config;

import dev.relay.streaming.port.ChatRepository;
import dev.relay.streaming.upload.UploadExpiry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.time.Clock;

/**
 * Runs {@link UploadExpiry#sweep} and prunes the chat's event logs periodically while the application runs; a
 * failed sweep is logged and retried.
 */
final class ExpiryScheduler extends DisposableLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ExpiryScheduler.class);

    private final UploadExpiry expiry;
    private final Duration interval;
    private final ChatRepository chat;
    private final Duration eventRetention;

    private final Clock clock;

    ExpiryScheduler(UploadExpiry expiry, Duration interval, ChatRepository chat, Duration eventRetention,
                    Clock clock) {
        this.clock = clock;
        this.expiry = expiry;
        this.interval = interval;
        this.chat = chat;
        this.eventRetention = eventRetention;
    }

    @Override
    protected Disposable run() {
        return Flux.interval(interval, interval)
                .onBackpressureDrop()
                .concatMap(tick -> expiry.sweep(clock.instant())
                        .doOnNext(r -> {
                            if (r.expired() + r.orphansAborted() > 0) {
                                log.info("Expiry sweep: {} uploads expired, {} orphaned multipart uploads aborted",
                                        r.expired(), r.orphansAborted());
                            }
                        })
                        .then(Mono.defer(() -> chat.pruneEvents(clock.instant().minus(eventRetention))))
                        .onErrorResume(e -> {
                            log.warn("Expiry sweep failed; retrying at the next interval", e);
                            return Mono.empty();
                        }), 0)
                .subscribe();
    }
}
