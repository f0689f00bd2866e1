package dev.relay.web.config;

import dev.relay.streaming.upload.UploadService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;

/**
 * In a cluster: carries out the upload commands other nodes send to this one, and re-reads the state of the uploads
 * whose channels are here every {@code interval} (the commands' fallback when Redis is down or lost one).
 */
final class UploadControl extends DisposableLifecycle {

    private static final Logger log = LoggerFactory.getLogger(UploadControl.class);

    private final UploadService uploads;
    private final Duration interval;

    UploadControl(UploadService uploads, Duration interval) {
        this.uploads = uploads;
        this.interval = interval;
    }

    @Override
    protected Disposable run() {
        Disposable reconciling = Flux.interval(interval, interval)
                .onBackpressureDrop()
                .concatMap(tick -> uploads.reconcile().onErrorResume(e -> {
                    log.debug("Could not re-read the uploads held here ({}); trying again", e.toString());
                    return Mono.empty();
                }), 0)
                .subscribe();
        return Disposables.composite(uploads.receiveCommands(), reconciling);
    }
}
