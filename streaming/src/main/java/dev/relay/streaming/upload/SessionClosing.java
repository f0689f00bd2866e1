package dev.relay.streaming.upload;

import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.UploadRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import java.time.Duration;

/**
 * How a write session's channel ends. CLOSING stores the queued parts and stages the partial part first; ABORTING
 * stores nothing more and waits only for what is under way; both then reach CLOSED, which lets the buffers go, ends
 * the client's stream and gives back the part numbers reserved and not used. Every state change goes through the
 * session ({@link Host#moveTo}), which owns the state machine; this class runs on the session's serial executor.
 */
final class SessionClosing {

    // Logged under the session's name, as before this was a class of its own.
    private static final Logger log = LoggerFactory.getLogger(UploadSession.class);
    private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(5);

    /** What this needs of its session. */
    interface Host {
        SessionState state();

        void moveTo(SessionState next);

        /** Stops the inbound chunks, if not done already. */
        void cancelInbound();

        /** The session has closed: whoever holds it lets it go. */
        void closed();
    }

    private final String id;
    private final long epoch;
    private final Host session;
    private final PartPipeline parts;
    private final Hibernation hibernation;
    private final SessionEvents events;
    private final UploadRepository repo;
    private final Sinks.Empty<Void> closed = Sinks.empty();
    private TransferException closeError;

    SessionClosing(String id, long epoch, Host session, PartPipeline parts, Hibernation hibernation,
                   SessionEvents events, UploadRepository repo) {
        this.id = id;
        this.epoch = epoch;
        this.session = session;
        this.parts = parts;
        this.hibernation = hibernation;
        this.events = events;
        this.repo = repo;
    }

    /** Completes when the session has stopped and released everything. */
    Mono<Void> whenClosed() {
        return closed.asMono();
    }

    /** The channel ends with {@code error} (null: normally) while open: what was received is stored first. */
    void fail(TransferException error) {
        if (session.state().open()) {
            stopReceiving(SessionState.CLOSING, error);
            continueClosing();
        }
    }

    /**
     * The upload ended or storage failed: store nothing more, close once what is under way has returned. A
     * FINISHING session completes or fails on its own (a cancel then finds its completion refused). Already
     * ABORTING, this is the failure of a request it waited for (a part record refused because the upload was
     * cancelled meanwhile, say): that request has returned, so closing goes on.
     */
    void abort(TransferException error) {
        SessionState state = session.state();
        if (state.open()) {
            stopReceiving(SessionState.ABORTING, error);
        } else if (state == SessionState.CLOSING) {
            session.moveTo(SessionState.ABORTING);
            if (closeError == null) {
                closeError = error;
            }
        } else if (state != SessionState.ABORTING) {
            return;
        }
        parts.abort();
        continueClosing();
    }

    private void stopReceiving(SessionState next, TransferException error) {
        log.debug("Upload {}: closing at {} received, {} durable ({})", id, parts.received(), parts.durableOffset(),
                error == null ? "channel ended" : error.code());
        session.moveTo(next);
        closeError = error;
        session.cancelInbound();
        // No more bytes will come: the part filling now is staged from its buffer, or dropped.
        if (parts.filling() != null) {
            parts.filling().abandonStream();
        }
    }

    /** Drives CLOSING and ABORTING to their end: store queued parts, stage the partial part, then close. */
    void continueClosing() {
        SessionState state = session.state();
        if (!state.closing() || parts.storing() || hibernation.busy()) {
            return;
        }
        if (state == SessionState.CLOSING && parts.storeQueued()) {
            return;
        }
        if (state == SessionState.CLOSING && hibernation.stageForClose()) {
            return;
        }
        if (closeError == null) {
            events.progress(true);
        }
        end(closeError);
    }

    /** CLOSED, with {@code error} (null: normally); also where a completion, successful or not, ends. */
    void end(TransferException error) {
        if (session.state() == SessionState.CLOSED) {
            return;
        }
        log.debug("Upload {}: closed at {} received, {} durable ({})", id, parts.received(), parts.durableOffset(),
                error == null ? "ok" : error.code());
        session.moveTo(SessionState.CLOSED);
        parts.release();
        session.cancelInbound();
        session.closed();
        events.end(error);
        // The part numbers reserved and not used go back before the next writer claims (a takeover on this node
        // waits for this), so reconnects do not use up S3's numbers. If this fails, only numbers are lost.
        repo.releaseWriter(id, epoch, parts.highestUsedPartNumber())
                .timeout(RELEASE_TIMEOUT)
                .doOnError(e -> log.debug("Upload {}: part numbers not given back: {}", id, e.toString()))
                .onErrorComplete()
                .doFinally(signal -> closed.tryEmitEmpty())
                .subscribe();
    }
}
