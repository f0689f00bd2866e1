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
import dev.relay.streaming.port.WriterClaim;
import dev.relay.streaming.support.SerialExecutor;
import dev.relay.streaming.support.StorageRetry;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

import java.util.function.Consumer;

/**
 * One open write channel of one upload, as an actor: its verbs (pause, resume, limit, take over, close, terminate)
 * and the chunks it receives are events on a {@link SerialExecutor}, so no lock is held across I/O and no thread
 * ever waits. Its life is the {@link SessionState} machine; each change goes through {@link #moveTo}. The work is
 * done by its parts: {@link PartPipeline} (part buffers to S3 to the database, and the byte counts),
 * {@link CreditPlanner} (request-n and part sizes), {@link Hibernation} (giving back memory while paused, with
 * {@link TailStage} keeping the partial part between channels), {@link UploadCompletion} (checksum and assembly),
 * {@link SessionClosing} (how the channel ends) and {@link SessionEvents} (what the client and observers hear). See
 * docs/architecture.md.
 */
final class UploadSession implements CoreSubscriber<Chunk>, PartPipeline.Listener, Hibernation.Host,
        SessionClosing.Host {

    private static final long PROGRESS_INTERVAL_NANOS = 100_000_000L;

    private final String id;
    private final String ownerId;
    private final long size;
    private final long epoch;
    private final int maxChunkBytes;
    private final TransferSettings settings;
    private final Consumer<UploadSession> onClosed;

    private final SerialExecutor serial = new SerialExecutor();
    private final ResumableSha256 digest;
    private final CreditPlanner planner;
    private final PartPipeline parts;
    private final UploadCompletion completion;
    private final Hibernation hibernation;
    private final SessionEvents events;
    private final SessionClosing closing;

    // Everything below is touched only by tasks of `serial`.
    private SessionState state;
    /** The upload's persisted state as far as this channel knows (what progress reports say). */
    private UploadState uploadState;
    private Subscription inbound;
    private boolean inboundDone;

    /**
     * @param claim this channel's writer epoch and the S3 part numbers it may use
     */
    UploadSession(UploadRecord upload, WriterClaim claim, ObjectStore store, UploadRepository repo,
                  TransferSettings settings, BufferBudget budget, PartBytes.Allocator allocator,
                  UploadObserver observer, Consumer<UploadSession> onClosed) {
        this.id = upload.id();
        this.ownerId = upload.ownerId();
        this.size = upload.size();
        this.epoch = claim.epoch();
        this.maxChunkBytes = settings.maxChunkBytes();
        this.settings = settings;
        this.onClosed = onClosed;
        this.digest = ResumableSha256.restore(upload.digestState());
        this.planner = new CreditPlanner(id, size, upload.partSize(), settings, serial);
        this.parts = new PartPipeline(upload, claim, settings.maxParts(), settings.receiveAhead(), store, repo, serial,
                this::storageRetry, planner::capacity, budget, allocator, this);
        planner.plan(parts);
        TailStage tail = new TailStage(id, epoch, upload.partSize(), ObjectKeys.tail(upload), store, repo, serial,
                this::storageRetry);
        this.hibernation = new Hibernation(id, this, parts, planner, tail, digest, serial);
        this.events = new SessionEvents(id, size, PROGRESS_INTERVAL_NANOS, observer, serial, parts,
                () -> uploadState, () -> state != SessionState.CLOSED);
        this.closing = new SessionClosing(id, epoch, this, parts, hibernation, events, repo);
        this.completion = new UploadCompletion(upload, epoch, store, repo, this::storageRetry, tail, events, serial);
        this.uploadState = upload.state() == UploadState.PAUSED ? UploadState.PAUSED : UploadState.ACTIVE;
        this.state = uploadState == UploadState.PAUSED ? SessionState.PAUSED : SessionState.RECEIVING;
        events.sessionState(state);
    }

    String uploadId() {
        return id;
    }

    String ownerId() {
        return ownerId;
    }

    /** Whether the channel has ended and the session still stores what it received (or completes the upload). */
    boolean settling() {
        SessionState now = events.current();
        return now != null && !now.open() && now != SessionState.CLOSED;
    }

    /** Starts the session: the returned stream reports progress; subscribing to it subscribes to the chunks. */
    Flux<UploadEvent> run(Flux<Chunk> chunks) {
        return events.flux()
                .doOnSubscribe(s -> {
                    serial.execute(() -> events.emit(UploadEvent.Type.STARTED));
                    chunks.subscribe(this);
                })
                .doOnCancel(() -> serial.execute(() -> fail(null)));
    }

    /** Completes when the session has stopped and released everything. */
    Mono<Void> whenClosed() {
        return closing.whenClosed();
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
            hibernation.maybeHibernate();
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
            if (planner.rateLimit() == bytesPerSecond) {
                return; // re-read from the database (reconcile): the pacing goes on as it was
            }
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
        serial.execute(() -> fail(reason));
        return whenClosed();
    }

    /** The upload ended (cancelled or expired): stop at once, store nothing more. */
    Mono<Void> terminate(TransferException reason) {
        serial.execute(() -> abort(reason));
        return whenClosed();
    }

    /** A consistent view of the session's flow control, taken on its executor. */
    Mono<SessionSnapshot> snapshot() {
        return Mono.create(sink -> serial.execute(() -> sink.success(new SessionSnapshot(uploadState,
                state != SessionState.CLOSED, size, parts.received(), parts.durableOffset(),
                planner.creditsGranted(), planner.outstanding(), planner.outstanding() * maxChunkBytes,
                parts.received() - parts.durableOffset(), planner.bufferCapacity(), planner.windowBytes(),
                planner.rateLimit()))));
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
            hibernation.maybeHibernate();
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
            fail(t instanceof TransferException te ? te : null);
        });
    }

    @Override
    public void onComplete() {
        serial.execute(() -> {
            inboundDone = true;
            if (parts.received() < size) {
                fail(null);
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
                fail(new TransferException(ErrorCode.CREDIT_EXCEEDED, "A chunk arrived without credit: send only as"
                        + " many chunks as the server requested (request-n)."));
            } else if (n > maxChunkBytes) {
                fail(new TransferException(ErrorCode.CHUNK_TOO_LARGE, "A chunk of " + n + " bytes exceeds the maximum"
                        + " of " + maxChunkBytes + " bytes; send smaller chunks."));
            } else if (parts.received() + n > size) {
                fail(new TransferException(ErrorCode.SIZE_EXCEEDED, "The upload's size is " + size + " bytes, but "
                        + (parts.received() + n) + " bytes were sent."));
            } else if (!parts.write(chunk, digest)) {
                fail(new TransferException(ErrorCode.INTERNAL, "No room for received bytes; retry the upload."));
            } else {
                if (parts.filling() == null && planner.wantsNextPart(state.paused())) {
                    parts.openNext();
                }
                events.progress(false);
                grant();
                hibernation.maybeHibernate();
            }
        } finally {
            chunk.release();
        }
    }

    // ---- credit, buffers, hibernation ----------------------------------------------------------------------------

    @Override
    public void grant() {
        if (state == SessionState.RECEIVING && inbound != null && parts.received() < size) {
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
            hibernation.wakeWhenMemory(() -> {
                ensureFilling();
                grant();
            });
        }
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
        hibernation.partRecorded();
        if (parts.partsBytes() == size && state != SessionState.ABORTING) {
            finish();
            return;
        }
        events.progress(true);
        if (state.open()) {
            ensureFilling();
            grant();
            hibernation.maybeHibernate();
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
        completion.complete(digest.hex(), parts.s3UploadId(), closing::end);
    }

    @Override
    public void fail(TransferException error) {
        closing.fail(error);
    }

    @Override
    public void abort(TransferException error) {
        closing.abort(error);
    }

    @Override
    public void continueClosing() {
        closing.continueClosing();
    }

    @Override
    public void closed() {
        onClosed.accept(this);
    }

    @Override
    public void cancelInbound() {
        if (!inboundDone && inbound != null) {
            inboundDone = true;
            inbound.cancel();
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    /** The one place the state changes: a move the state machine does not allow is a bug and is refused. */
    @Override
    public void moveTo(SessionState next) {
        if (!state.canMoveTo(next)) {
            throw new IllegalStateException("Upload " + id + ": no move from " + state + " to " + next);
        }
        state = next;
        events.sessionState(next);
    }

    @Override
    public SessionState state() {
        return state;
    }

    @Override
    public void progressed() {
        events.progress(true);
    }

    private Retry storageRetry() {
        return StorageRetry.until(settings.storageRetryTimeout());
    }
}
