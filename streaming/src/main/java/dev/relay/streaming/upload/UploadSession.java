package dev.relay.streaming.upload;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.api.wire.UploadEvent;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.TransferSettings;
import dev.relay.streaming.digest.ResumableSha256;
import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.UploadRecord;
import dev.relay.streaming.port.UploadRepository;
import dev.relay.streaming.support.SerialExecutor;
import dev.relay.streaming.support.StorageRetry;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.retry.Retry;

import java.util.function.Consumer;

/**
 * One open write channel of one upload, as an actor: its verbs (pause, resume, limit, take over, close, terminate)
 * and the chunks it receives are events on a {@link SerialExecutor}, so no lock is held across I/O and no thread
 * ever waits. Its life is the {@link SessionState} machine; each change goes through {@link #moveTo}. The work is
 * done by its parts: {@link PartPipeline} (part buffers to S3 to the database, and the byte counts),
 * {@link CreditPlanner} (request-n and part sizes), {@link TailStage} (the partial part kept between channels) and
 * {@link UploadCompletion} (checksum and assembly). See docs/architecture.md.
 */
final class UploadSession implements CoreSubscriber<Chunk>, PartPipeline.Listener {

    private static final Logger log = LoggerFactory.getLogger(UploadSession.class);
    private static final long PROGRESS_INTERVAL_NANOS = 100_000_000L;

    private final String id;
    private final String ownerId;
    private final long size;
    private final long epoch;
    private final int maxChunkBytes;
    private final TransferSettings settings;
    private final Consumer<UploadSession> onClosed;

    private final SerialExecutor serial = new SerialExecutor();
    private final Sinks.Empty<Void> closed = Sinks.empty();
    private final ResumableSha256 digest;
    private final CreditPlanner planner;
    private final PartPipeline parts;
    private final TailStage tail;
    private final UploadCompletion completion;
    private final SessionEvents events;

    // Everything below is touched only by tasks of `serial`.
    private SessionState state;
    /** The upload's persisted state as far as this channel knows (what progress reports say). */
    private UploadState uploadState;
    private Subscription inbound;
    private boolean inboundDone;
    private TransferException closeError;

    /**
     * @param recordedParts the highest part number recorded so far (0 if none): the next part takes the one after
     */
    UploadSession(UploadRecord upload, int recordedParts, long epoch, ObjectStore store, UploadRepository repo,
                  TransferSettings settings, UploadObserver observer, Consumer<UploadSession> onClosed) {
        this.id = upload.id();
        this.ownerId = upload.ownerId();
        this.size = upload.size();
        this.epoch = epoch;
        this.maxChunkBytes = settings.maxChunkBytes();
        this.settings = settings;
        this.onClosed = onClosed;
        this.digest = ResumableSha256.restore(upload.digestState());
        this.planner = new CreditPlanner(id, size, upload.partSize(), settings, serial);
        this.parts = new PartPipeline(upload, recordedParts, epoch, settings.receiveAhead(), store, repo, serial,
                this::storageRetry, planner::capacity, this);
        planner.plan(parts);
        this.tail = new TailStage(id, epoch, upload.partSize(), store, repo, serial, this::storageRetry);
        this.completion = new UploadCompletion(upload, epoch, store, repo, this::storageRetry);
        this.uploadState = upload.state() == UploadState.PAUSED ? UploadState.PAUSED : UploadState.ACTIVE;
        this.state = uploadState == UploadState.PAUSED ? SessionState.PAUSED : SessionState.RECEIVING;
        this.events = new SessionEvents(id, size, PROGRESS_INTERVAL_NANOS, observer, serial, new Position());
        events.sessionState(state);
    }

    String uploadId() {
        return id;
    }

    String ownerId() {
        return ownerId;
    }

    long epoch() {
        return epoch;
    }

    /** Starts the session: the returned stream reports progress; subscribing to it subscribes to the chunks. */
    Flux<UploadEvent> run(Flux<Chunk> chunks) {
        return events.flux()
                .doOnSubscribe(s -> {
                    serial.execute(() -> events.emit(UploadEvent.Type.STARTED));
                    chunks.subscribe(this);
                })
                .doOnCancel(() -> serial.execute(() -> beginClose(null)));
    }

    /** Completes when the session has stopped and released everything. */
    Mono<Void> whenClosed() {
        return closed.asMono();
    }

    // ---- verbs ---------------------------------------------------------------------------------------------------

    void pause() {
        serial.execute(() -> {
            if (state != SessionState.RECEIVING && state != SessionState.WAKING) {
                return;
            }
            moveTo(SessionState.PAUSED);
            uploadState = UploadState.PAUSED;
            events.emit(UploadEvent.Type.PAUSED);
            maybeHibernate();
        });
    }

    void resume() {
        serial.execute(() -> {
            if (!state.paused()) {
                return;
            }
            moveTo(SessionState.RECEIVING);
            uploadState = UploadState.ACTIVE;
            planner.resumed();
            events.emit(UploadEvent.Type.RESUMED);
            ensureFilling();
            grant();
        });
    }

    /** Caps the rate (bytes per second; 0 removes the cap): credit is paced from now on. */
    void limit(long bytesPerSecond) {
        serial.execute(() -> {
            planner.limit(bytesPerSecond);
            grant();
        });
    }

    /** Another channel takes over: store what was received, then end this channel with TAKEN_OVER. */
    Mono<Void> takeOver() {
        return close(new TransferException(ErrorCode.TAKEN_OVER,
                "Another write channel took over upload " + id + "; this one is closed."));
    }

    /** Stores what was received, then ends the channel with {@code reason}. */
    Mono<Void> close(TransferException reason) {
        serial.execute(() -> beginClose(reason));
        return whenClosed();
    }

    /** The upload ended (cancelled or expired): stop at once, store nothing more. */
    Mono<Void> terminate(TransferException reason) {
        serial.execute(() -> abort(reason));
        return whenClosed();
    }

    /** A consistent view of the session's flow control, taken on its executor. */
    Mono<Snapshot> snapshot() {
        return Mono.create(sink -> serial.execute(() -> sink.success(new Snapshot(uploadState,
                state != SessionState.CLOSED, size, parts.received(), parts.durableOffset(),
                planner.creditsGranted(), planner.outstanding(), planner.outstanding() * maxChunkBytes,
                parts.received() - parts.durableOffset(), planner.bufferCapacity(), planner.windowBytes(),
                planner.rateLimit()))));
    }

    /** What {@link #snapshot} reports. */
    record Snapshot(UploadState state, boolean open, long size, long received, long offset, long creditsGranted,
                    long outstandingCredits, long inFlightBytes, long bufferedBytes, long bufferCapacity,
                    long windowBytes, long limit) {
    }

    // ---- inbound chunks ------------------------------------------------------------------------------------------

    @Override
    public void onSubscribe(Subscription s) {
        serial.execute(() -> {
            inbound = s;
            if (!state.open()) {
                s.cancel();
                return;
            }
            ensureFilling();
            grant();
            maybeHibernate();
        });
    }

    @Override
    public void onNext(Chunk chunk) {
        serial.execute(() -> accept(chunk));
    }

    @Override
    public void onError(Throwable t) {
        serial.execute(() -> {
            inboundDone = true;
            beginClose(t instanceof TransferException te ? te : null);
        });
    }

    @Override
    public void onComplete() {
        serial.execute(() -> {
            inboundDone = true;
            if (parts.received() < size) {
                beginClose(null);
            }
        });
    }

    private void accept(Chunk chunk) {
        try {
            if (!state.open()) {
                return;
            }
            int n = chunk.remaining();
            if (!planner.received(n)) {
                beginClose(new TransferException(ErrorCode.CREDIT_EXCEEDED, "A chunk arrived without credit: send only as"
                        + " many chunks as the server requested (request-n)."));
            } else if (n > maxChunkBytes) {
                beginClose(new TransferException(ErrorCode.CHUNK_TOO_LARGE, "A chunk of " + n + " bytes exceeds the maximum"
                        + " of " + maxChunkBytes + " bytes; send smaller chunks."));
            } else if (parts.received() + n > size) {
                beginClose(new TransferException(ErrorCode.SIZE_EXCEEDED, "The upload's size is " + size + " bytes, but "
                        + (parts.received() + n) + " bytes were sent."));
            } else if (!parts.write(chunk, digest)) {
                beginClose(new TransferException(ErrorCode.INTERNAL, "No room for received bytes; retry the upload."));
            } else {
                if (parts.filling() == null && planner.wantsNextPart(state.paused())) {
                    parts.openNext();
                }
                events.progress(false);
                grant();
                maybeHibernate();
            }
        } finally {
            chunk.release();
        }
    }

    // ---- credit, buffers, hibernation ----------------------------------------------------------------------------

    private void grant() {
        if (state == SessionState.RECEIVING && inbound != null && parts.filling() != null && parts.received() < size) {
            planner.grant(false, inbound::request, this::grant);
        }
    }

    /** Makes sure there is a buffer to receive into, unless none is needed (paused, all received, closing). */
    private void ensureFilling() {
        if (parts.filling() != null || (state != SessionState.RECEIVING && state != SessionState.PAUSED)) {
            return;
        }
        if (parts.received() == size) {
            // Everything is received; the last part is stored or queued (a part is sealed as soon as it is full).
            if (parts.partsBytes() == size) {
                finish();
            }
            return;
        }
        if ((state == SessionState.PAUSED && planner.outstanding() == 0) || !planner.roomForNextPart()) {
            // No buffer before there is room for a chunk: this also stops credit while the database is slow or down.
            return;
        }
        if (parts.received() == parts.nextPartStart()) {
            parts.openNext();
        } else if (state == SessionState.RECEIVING) {
            wake();
        }
    }

    /** Mid-part with no buffer: the part's first bytes are the staged tail; load them back. */
    private void wake() {
        moveTo(SessionState.WAKING);
        if (tail.busy()) {
            return; // a load started before a pause is still under way: it serves this wake too
        }
        long partStart = parts.nextPartStart();
        long expected = parts.received() - partStart;
        tail.load(bytes -> {
            if (!state.open()) {
                continueClosing();
            } else if (bytes.length < expected) {
                beginClose(new TransferException(ErrorCode.INTERNAL, "The staged bytes of upload " + id
                        + " are incomplete (" + bytes.length + " of " + expected + ")."));
            } else {
                parts.resumePart(partStart, bytes, (int) expected, digest);
                if (state == SessionState.WAKING) {
                    moveTo(SessionState.RECEIVING);
                    grant();
                } else {
                    maybeHibernate(); // paused again while the bytes were loading: give the buffer back
                }
            }
        }, e -> abort(SessionErrors.storage(id, "load the staged bytes", e, parts.durableOffset())));
    }

    /**
     * A paused session whose granted chunks have all arrived and whose parts are all recorded gives up the partial
     * part's S3 request, stages the partial part and drops its buffers: a paused upload costs a few KiB.
     */
    private void maybeHibernate() {
        if (state != SessionState.PAUSED || planner.outstanding() > 0 || parts.storing() || parts.hasSealed()
                || tail.busy()) {
            return;
        }
        planner.idle();
        parts.dropSpare();
        PartBuffer filling = parts.filling();
        if (filling != null) {
            filling.abandonStream();
        }
        if (filling == null || filling.fill <= parts.tailBytes() || filling.start != parts.partsBytes()) {
            parts.dropFilling();
            moveTo(SessionState.HIBERNATED);
            return;
        }
        moveTo(SessionState.HIBERNATING);
        stageTail(filling, recorded -> {
            if (state == SessionState.HIBERNATING) {
                if (recorded) {
                    parts.dropFilling();
                    moveTo(SessionState.HIBERNATED);
                } else {
                    moveTo(SessionState.PAUSED); // not durable: keep the bytes
                }
            } else if (state == SessionState.PAUSED) {
                maybeHibernate(); // resumed and paused again meanwhile: stage what came since
            } else {
                grant();
            }
        });
    }

    /** Stages the partial part's bytes; the durable offset moves if the record applied, then {@code then} runs. */
    private void stageTail(PartBuffer filling, Consumer<Boolean> then) {
        tail.stage(filling, filling.fill, parts.partsBytes(), digest.state(), recorded -> {
            if (recorded) {
                parts.tailStaged(filling.fill);
                events.progress(true);
            }
            if (state.closing()) {
                continueClosing();
            } else {
                then.accept(recorded);
            }
        });
    }

    // ---- what the part pipeline reports --------------------------------------------------------------------------

    @Override
    public void partStored() {
        if (state.open()) {
            ensureFilling();
            grant();
        }
    }

    @Override
    public void partRecorded(long sealedNanos) {
        planner.recorded(parts.partsBytes(), System.nanoTime() - sealedNanos);
        if (parts.partsBytes() == size && state != SessionState.ABORTING) {
            finish();
            return;
        }
        events.progress(true);
        if (state.open()) {
            ensureFilling();
            grant();
            maybeHibernate();
        } else {
            continueClosing();
        }
    }

    @Override
    public void pipelineFailed(TransferException error) {
        abort(error);
    }

    // ---- finishing and closing -----------------------------------------------------------------------------------

    private void finish() {
        if (!state.canMoveTo(SessionState.FINISHING)) {
            return;
        }
        moveTo(SessionState.FINISHING);
        cancelInbound();
        String sha256 = digest.hex();
        completion.complete(sha256, parts.s3UploadId()).subscribe(null, e -> serial.execute(() -> {
            if (e instanceof TransferException te && te.code() == ErrorCode.CHECKSUM_MISMATCH) {
                events.stateChanged();
            }
            end(e instanceof TransferException te ? te : SessionErrors.storage(id, "complete the upload", e, size));
        }), () -> serial.execute(() -> {
            tail.delete();
            events.completed(sha256);
            end(null);
        }));
    }

    /** The channel ends with {@code error} (null: normally) while open: what was received is stored first. */
    private void beginClose(TransferException error) {
        if (state.open()) {
            stopReceiving(SessionState.CLOSING, error);
            continueClosing();
        }
    }

    /**
     * The upload ended or storage failed: store nothing more, close once what is under way has returned. A
     * FINISHING session completes or fails on its own (a cancel then finds its completion refused).
     */
    private void abort(TransferException error) {
        if (state.open()) {
            stopReceiving(SessionState.ABORTING, error);
        } else if (state == SessionState.CLOSING) {
            moveTo(SessionState.ABORTING);
            if (closeError == null) {
                closeError = error;
            }
        } else {
            return;
        }
        parts.abort();
        continueClosing();
    }

    private void stopReceiving(SessionState next, TransferException error) {
        log.debug("Upload {}: closing at {} received, {} durable ({})", id, parts.received(), parts.durableOffset(),
                error == null ? "channel ended" : error.code());
        moveTo(next);
        closeError = error;
        cancelInbound();
        // No more bytes will come: the part filling now is staged from its buffer, or dropped.
        if (parts.filling() != null) {
            parts.filling().abandonStream();
        }
    }

    /** Drives CLOSING and ABORTING to their end: store queued parts, stage the partial part, then close. */
    private void continueClosing() {
        if (!state.closing() || parts.storing() || tail.busy()) {
            return;
        }
        if (state == SessionState.CLOSING && parts.storeQueued()) {
            return;
        }
        PartBuffer filling = parts.filling();
        if (state == SessionState.CLOSING && filling != null && filling.start == parts.partsBytes()
                && filling.fill > parts.tailBytes()) {
            stageTail(filling, recorded -> { });
            parts.dropFilling();
            return;
        }
        if (closeError == null) {
            events.progress(true);
        }
        end(closeError);
    }

    private void end(TransferException error) {
        if (state == SessionState.CLOSED) {
            return;
        }
        log.debug("Upload {}: closed at {} received, {} durable ({})", id, parts.received(), parts.durableOffset(),
                error == null ? "ok" : error.code());
        moveTo(SessionState.CLOSED);
        parts.release();
        cancelInbound();
        onClosed.accept(this);
        events.end(error);
        closed.tryEmitEmpty();
    }

    private void cancelInbound() {
        if (!inboundDone && inbound != null) {
            inboundDone = true;
            inbound.cancel();
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    /** The one place the state changes: a move the state machine does not allow is a bug and is refused. */
    private void moveTo(SessionState next) {
        if (!state.canMoveTo(next)) {
            throw new IllegalStateException("Upload " + id + ": no move from " + state + " to " + next);
        }
        state = next;
        events.sessionState(next);
    }

    /** The session as {@link SessionEvents} reports it. */
    private final class Position implements SessionEvents.Position {
        @Override
        public UploadState state() {
            return uploadState;
        }

        @Override
        public long received() {
            return parts.received();
        }

        @Override
        public long durableOffset() {
            return parts.durableOffset();
        }

        @Override
        public boolean reporting() {
            return state != SessionState.CLOSED;
        }
    }

    private Retry storageRetry() {
        return StorageRetry.until(settings.storageRetryTimeout());
    }
}
