package dev.relay.streaming.upload;

import dev.relay.api.UploadState;
import dev.relay.api.wire.UploadEvent;
import dev.relay.streaming.TransferException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What one write channel tells its client (the channel's stream of {@link UploadEvent}s) and the
 * {@link UploadObserver}. Progress goes out at most once per interval; a report held back is sent at the interval's
 * end, so the last state is always reported (a client that stops sending sees where it stopped). Owned by the
 * session's serial executor, on which held-back reports run too.
 */
final class SessionEvents {

    private final String id;
    private final long size;
    private final long intervalNanos;
    private final UploadObserver observer;
    private final Executor serial;
    private final PartPipeline parts;
    private final Supplier<UploadState> uploadState;
    private final BooleanSupplier reporting;
    private final Sinks.Many<UploadEvent> events = Sinks.many().unicast().onBackpressureBuffer();
    private long lastProgressNanos;
    private boolean progressScheduled;
    private volatile SessionState current;

    /**
     * @param uploadState the upload's persisted state as the session knows it, for each report
     * @param reporting   whether held-back reports still make sense (the session has not closed)
     */
    SessionEvents(String id, long size, long intervalNanos, UploadObserver observer, Executor serial,
                  PartPipeline parts, Supplier<UploadState> uploadState, BooleanSupplier reporting) {
        this.id = id;
        this.size = size;
        this.intervalNanos = intervalNanos;
        this.observer = observer;
        this.serial = serial;
        this.parts = parts;
        this.uploadState = uploadState;
        this.reporting = reporting;
    }

    Flux<UploadEvent> flux() {
        return events.asFlux();
    }

    void emit(UploadEvent.Type type) {
        UploadState state = uploadState.get();
        long received = parts.received();
        long durable = parts.durableOffset();
        events.tryEmitNext(new UploadEvent(type, received, durable, state, null));
        observer.progress(id, state, received, durable, size);
    }

    /** A PROGRESS event now if {@code force} or the interval has passed, else one at the interval's end. */
    void progress(boolean force) {
        long now = System.nanoTime();
        long wait = lastProgressNanos + intervalNanos - now;
        if (force || wait <= 0) {
            lastProgressNanos = now;
            emit(UploadEvent.Type.PROGRESS);
        } else if (!progressScheduled) {
            progressScheduled = true;
            Schedulers.parallel().schedule(() -> serial.execute(() -> {
                progressScheduled = false;
                if (reporting.getAsBoolean()) {
                    progress(true);
                }
            }), wait, TimeUnit.NANOSECONDS);
        }
    }

    void sessionState(SessionState state) {
        current = state;
        observer.sessionState(id, state);
    }

    /** The session's state as last set; read from any thread ({@link UploadSession#settling}). */
    SessionState current() {
        return current;
    }

    /** The upload's persisted state changed (completed, failed): whoever follows it reads it again. */
    void stateChanged() {
        observer.stateChanged(id);
    }

    void completed(String sha256) {
        events.tryEmitNext(new UploadEvent(UploadEvent.Type.COMPLETED, size, size, UploadState.COMPLETED, sha256));
        observer.stateChanged(id);
    }

    /** The channel's stream ends, with {@code error} if not null. */
    void end(TransferException error) {
        if (error != null) {
            events.tryEmitError(error);
        } else {
            events.tryEmitComplete();
        }
    }
}
