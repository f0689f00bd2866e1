package dev.relay.streaming.upload;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.api.wire.UploadEvent;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.TransferSettings;
import dev.relay.streaming.digest.ResumableSha256;
import dev.relay.streaming.flow.AdaptiveWindow;
import dev.relay.streaming.flow.CreditPolicy;
import dev.relay.streaming.flow.RatePacer;
import dev.relay.streaming.flow.RunAhead;
import dev.relay.streaming.port.DurablePoint;
import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.ObjectStore.StoredPart;
import dev.relay.streaming.port.PartFeed;
import dev.relay.streaming.port.PartRecord;
import dev.relay.streaming.port.StorageUnavailableException;
import dev.relay.streaming.port.StreamedPartUpload;
import dev.relay.streaming.port.UploadRepository;
import dev.relay.streaming.port.UploadRecord;
import dev.relay.streaming.support.SerialExecutor;
import dev.relay.streaming.support.StorageRetry;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One open write channel of one upload: receives chunks, grants credit, fills part buffers, stores parts and keeps
 * the durable offset. Every state change runs on a {@link SerialExecutor}, so no lock is held across I/O and no
 * thread ever waits: storage calls complete asynchronously and post their outcome back.
 *
 * <p>Memory: one part buffer of the preferred length, which S3 receives as it fills (its request reads the bytes as
 * they arrive, see {@link PartFeed}); more only while bytes run past a part's end ahead of its record, by what
 * arrives meanwhile, all within the part size of bytes that are not durable ({@link PartSizer}; two whole parts with
 * receive-ahead). Credit is granted so that the bytes in flight always fit that room
 * ({@link CreditPolicy}); a paused session with no credit outstanding gives up the part's request, stages its
 * partial part in S3 and drops its buffers ("hibernates").
 *
 * <p>See docs/architecture.md for the state machine this implements.
 */
final class UploadSession implements CoreSubscriber<Chunk> {

    private static final Logger log = LoggerFactory.getLogger(UploadSession.class);
    private static final long PROGRESS_INTERVAL_NANOS = 100_000_000L;
    private static final double AHEAD_HEADROOM = 1.25;

    enum Phase {
        /** Accepting chunks. */
        RECEIVING,
        /** The channel ended early: storing what was received, then closing. */
        CLOSING,
        /** All bytes are stored: assembling the object. */
        FINISHING,
        CLOSED
    }

    private final String id;
    private final String ownerId;
    private final long size;
    private final long partSize;
    private final long epoch;
    private final String objectKey;
    private final String expectedSha256;
    private final ObjectStore store;
    private final UploadRepository repo;
    private final TransferSettings settings;
    private final CreditPolicy credits;
    private final AdaptiveWindow window;
    private final PartSizer sizer;
    private final Consumer<UploadSession> onClosed;
    private final UploadObserver observer;

    private final SerialExecutor serial = new SerialExecutor();
    private final Sinks.Many<UploadEvent> events = Sinks.many().unicast().onBackpressureBuffer();
    private final Sinks.Empty<Void> closed = Sinks.empty();
    private final ResumableSha256 digest;

    // Everything below is touched only by tasks of `serial`.
    private Phase phase = Phase.RECEIVING;
    private Subscription inbound;
    private boolean inboundDone;
    private boolean paused;
    private long outstanding;
    private long received;
    private long partsBytes;
    private long tailBytes;
    /** Where the part not yet complete starts (sealing a part moves it on), and that part's number. */
    private long nextPartStart;
    private int nextPartNumber;
    private volatile String s3UploadId;
    private Mono<String> creatingMultipart;
    private PartBuffer filling;
    /** Complete parts waiting for their turn to be stored (behind {@link #inFlight}), oldest first. */
    private final ArrayDeque<PartBuffer> sealed = new ArrayDeque<>();
    private PartBuffer inFlight;
    private final ArrayDeque<PendingRecord> toRecord = new ArrayDeque<>();
    private boolean recording;
    private byte[] spare;
    private boolean waking;
    private boolean staging;
    private boolean discard;
    private TransferException closeError;
    private long lastProgressNanos;
    private boolean progressScheduled;
    private final RatePacer pacer = new RatePacer();
    /** What should run past a part's end (see {@link #wantedAhead}). */
    private final RunAhead runAhead = new RunAhead(AHEAD_HEADROOM, 4, 8);
    private boolean pacedGrantScheduled;
    private long creditsGranted;

    /**
     * @param recordedParts the highest part number recorded so far (0 if none): the next part takes the one after
     */
    UploadSession(UploadRecord upload, int recordedParts, long epoch, ObjectStore store, UploadRepository repo,
                  TransferSettings settings, UploadObserver observer, Consumer<UploadSession> onClosed) {
        this.observer = observer;
        this.id = upload.id();
        this.ownerId = upload.ownerId();
        this.size = upload.size();
        this.partSize = upload.partSize();
        this.epoch = epoch;
        this.objectKey = upload.objectKey();
        this.expectedSha256 = upload.expectedSha256();
        this.s3UploadId = upload.s3UploadId();
        this.store = store;
        this.repo = repo;
        this.settings = settings;
        this.credits = new CreditPolicy(settings.maxChunkBytes());
        this.window = new AdaptiveWindow(settings.creditWindowBytes(), settings.creditWindowMaxBytes(),
                settings.maxChunkBytes());
        this.onClosed = onClosed;
        this.digest = ResumableSha256.restore(upload.digestState());
        this.partsBytes = upload.partsBytes();
        this.tailBytes = upload.tailBytes();
        this.received = upload.durableOffset();
        this.nextPartStart = upload.partsBytes();
        this.nextPartNumber = recordedParts + 1;
        this.sizer = new PartSizer(size, partSize, settings.preferredPartFor(size), settings.maxParts(),
                settings.maxChunkBytes());
        this.paused = upload.state() == UploadState.PAUSED;
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
        return events.asFlux()
                .doOnSubscribe(s -> {
                    serial.execute(() -> emit(UploadEvent.Type.STARTED));
                    chunks.subscribe(this);
                })
                .doOnCancel(() -> serial.execute(() -> beginClose(null)));
    }

    /** Completes when the session has stopped and released everything. */
    Mono<Void> whenClosed() {
        return closed.asMono();
    }

    void pause() {
        serial.execute(() -> {
            if (phase != Phase.RECEIVING || paused) {
                return;
            }
            paused = true;
            emit(UploadEvent.Type.PAUSED);
            maybeHibernate();
        });
    }

    void resume() {
        serial.execute(() -> {
            if (phase != Phase.RECEIVING || !paused) {
                return;
            }
            paused = false;
            runAhead.restart();
            emit(UploadEvent.Type.RESUMED);
            ensureFilling();
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
        serial.execute(() -> {
            discard = true;
            beginClose(reason);
            continueClosing();
        });
        return whenClosed();
    }

    // ---- inbound chunks ------------------------------------------------------------------------------------------

    @Override
    public void onSubscribe(Subscription s) {
        serial.execute(() -> {
            inbound = s;
            if (phase != Phase.RECEIVING) {
                s.cancel();
                return;
            }
            ensureFilling();
            grant();
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
            if (received < size) {
                beginClose(null);
            }
        });
    }

    private void accept(Chunk chunk) {
        try {
            if (phase != Phase.RECEIVING) {
                return;
            }
            int n = chunk.remaining();
            if (outstanding <= 0) {
                fail(new TransferException(ErrorCode.CREDIT_EXCEEDED, "A chunk arrived without credit: send only as"
                        + " many chunks as the server requested (request-n)."));
                return;
            }
            outstanding--;
            long now = System.nanoTime();
            window.received(n, now);
            pacer.consumed(n, now);
            if (n > settings.maxChunkBytes()) {
                fail(new TransferException(ErrorCode.CHUNK_TOO_LARGE, "A chunk of " + n + " bytes exceeds the maximum"
                        + " of " + settings.maxChunkBytes() + " bytes; send smaller chunks."));
                return;
            }
            if (received + n > size) {
                fail(new TransferException(ErrorCode.SIZE_EXCEEDED, "The upload's size is " + size + " bytes, but "
                        + (received + n) + " bytes were sent."));
                return;
            }
            while (chunk.remaining() > 0) {
                if (filling == null && !receiveNext()) {
                    fail(new TransferException(ErrorCode.INTERNAL, "No room for received bytes; retry the upload."));
                    return;
                }
                int take = (int) Math.min(chunk.remaining(), filling.room());
                chunk.read(filling.data, filling.fill, take);
                digest.update(filling.data, filling.fill, take);
                filling.fill += take;
                received += take;
                fed(filling);
                if (filling.room() == 0) {
                    seal();
                }
            }
            progress(false);
            grant();
            maybeHibernate();
        } finally {
            chunk.release();
        }
    }

    // ---- credit and buffers --------------------------------------------------------------------------------------

    private void grant() {
        if (phase != Phase.RECEIVING || inbound == null || filling == null || received >= size) {
            return;
        }
        long free;
        if (settings.receiveAhead()) {
            // The next part's room counts only if, once the part now filling is full, it can go to S3 at once and
            // the next one may be received meanwhile (no older part still waits for its record).
            free = filling.room();
            long next = filling.start + filling.capacity;
            if (unrecordedParts() == 0) {
                free += Math.min(partSize, size - next);
            }
        } else {
            free = Math.max(0, creditLimit() - received);
        }
        long n = credits.grantable(outstanding, window.windowBytes(), free, size - received, paused);
        if (n > 0 && pacer.limited()) {
            long now = System.nanoTime();
            n = Math.min(n, pacer.creditsAllowed(now, outstanding, settings.maxChunkBytes()));
            if (n == 0 && outstanding == 0) {
                schedulePacedGrant(pacer.nanosUntilAllowed(now));
            }
        }
        if (n > 0) {
            creditsGranted += n;
            outstanding += n;
            window.granted(n, System.nanoTime());
            inbound.request(n);
        }
    }

    /** Under a rate cap with nothing in flight, nothing else would call {@link #grant}: a timer does. */
    private void schedulePacedGrant(long delayNanos) {
        if (pacedGrantScheduled) {
            return;
        }
        pacedGrantScheduled = true;
        Schedulers.parallel().schedule(() -> serial.execute(() -> {
            pacedGrantScheduled = false;
            grant();
        }), Math.max(1, delayNanos), TimeUnit.NANOSECONDS);
    }

    /**
     * The byte the client may send up to (without receive-ahead): the durable offset plus a part and what may run
     * past its end ({@link PartSizer#reach}), never more than the part size, which is what a crash may cost. When no
     * older part is on its way, at least a chunk less a byte past the end of the part filling now: credit counts
     * whole chunks, so room for less than a chunk (a part resumed mid-way, a client sending short chunks) would
     * otherwise never be granted and the part never complete. Buffers for the parts this reaches into are opened as
     * their bytes arrive.
     */
    private long creditLimit() {
        long limit = partsBytes + tailBytes + sizer.reach(wantedAhead());
        if (filling != null && unrecordedParts() == 0) {
            limit = Math.max(limit, filling.start + filling.capacity + settings.maxChunkBytes() - 1);
        }
        return limit;
    }

    /** Whether {@link #creditLimit} leaves room for one more whole chunk (credit counts whole chunks). */
    private boolean roomForAChunk() {
        return creditLimit() - received >= settings.maxChunkBytes();
    }

    /**
     * Bytes that should be able to run past the end of a part, so the flow need not stop there until the part is
     * durable: what arrives meanwhile, as {@link RunAhead} estimates it (a round trip and the part's finish at the
     * delivery rate). It costs memory only where it buys throughput: a slow upload runs ahead by little. With
     * receive-ahead the next part has its own buffer, and parts stay whole.
     */
    private long wantedAhead() {
        if (settings.receiveAhead()) {
            return 0;
        }
        long ahead = runAhead.bytes(window.minRttNanos());
        // Until a few parts are recorded, the window (which holds the bandwidth-delay product) stands in for it.
        return ahead >= 0 ? ahead : window.windowBytes();
    }

    /** Opens the next part's buffer for bytes that ran past a full part (see {@link #creditLimit}). */
    private boolean receiveNext() {
        if (received >= size || (settings.receiveAhead() && unrecordedParts() >= 2)) {
            return false;
        }
        filling = newBuffer(received);
        return true;
    }

    /** Caps the rate (bytes per second; 0 removes the cap): credit is paced from now on. */
    void limit(long bytesPerSecond) {
        serial.execute(() -> {
            pacer.setRate(bytesPerSecond, System.nanoTime());
            grant();
        });
    }

    /** A consistent view of the session's flow control, taken on its executor. */
    Mono<Snapshot> snapshot() {
        return Mono.create(sink -> serial.execute(() -> sink.success(new Snapshot(
                paused ? UploadState.PAUSED : UploadState.ACTIVE, phase != Phase.CLOSED, size, received,
                partsBytes + tailBytes, creditsGranted, outstanding, outstanding * settings.maxChunkBytes(),
                received - (partsBytes + tailBytes), settings.receiveAhead() ? 2 * partSize : partSize,
                window.windowBytes(), pacer.rate()))));
    }

    /** What {@link #snapshot} reports. */
    record Snapshot(UploadState state, boolean open, long size, long received, long offset, long creditsGranted,
                    long outstandingCredits, long inFlightBytes, long bufferedBytes, long bufferCapacity,
                    long windowBytes, long limit) {
    }

    /** Makes sure there is a buffer to receive into, unless none is needed (paused, all received, closing). */
    private void ensureFilling() {
        if (filling != null || waking || phase != Phase.RECEIVING) {
            return;
        }
        if (received == size) {
            // Everything is received; the last part is stored or queued (a part is sealed as soon as it is full).
            if (partsBytes == size) {
                finish();
            }
            return;
        }
        if (paused && outstanding == 0) {
            return;
        }
        if (settings.receiveAhead() ? unrecordedParts() >= 2
                : unrecordedParts() > 0 && !roomForAChunk()) {
            // Received bytes not yet durable stay within two parts with receive-ahead (the next part is received
            // once the part before the previous one is recorded), within the part size without: no buffer before
            // there is room for a chunk. This also stops credit while the database is slow or down.
            return;
        }
        long partStart = nextPartStart;
        if (received == partStart) {
            filling = newBuffer(partStart);
            return;
        }
        // Mid-part with no buffer: the part's first bytes are the staged tail; load them back.
        waking = true;
        long expectedTail = received - partStart;
        store.getObjectBytes(ObjectKeys.tail(id), (int) partSize)
                .retryWhen(storageRetry())
                .subscribe(bytes -> serial.execute(() -> {
                    waking = false;
                    if (phase != Phase.RECEIVING) {
                        continueClosing();
                        return;
                    }
                    if (bytes.length < expectedTail) {
                        fail(new TransferException(ErrorCode.INTERNAL, "The staged bytes of upload " + id
                                + " are incomplete (" + bytes.length + " of " + expectedTail + ")."));
                        return;
                    }
                    filling = newBuffer(partStart);
                    System.arraycopy(bytes, 0, filling.data, 0, (int) expectedTail);
                    filling.fill = (int) expectedTail;
                    fed(filling);
                    if (filling.room() == 0) {
                        seal();
                    }
                    grant();
                    // Paused again while the bytes were loading: give the buffer back.
                    maybeHibernate();
                }), e -> serial.execute(() -> {
                    waking = false;
                    discard = true;
                    fail(storageFailure("load the staged bytes", e));
                    continueClosing();
                }));
    }

    /** A buffer for the part not yet complete, from {@code start} (its beginning) on: sized now, see PartSizer. */
    private PartBuffer newBuffer(long start) {
        int capacity = (int) sizer.capacity(start, nextPartNumber, wantedAhead());
        if (received > start) {
            // The part resumes from its staged tail, which it must hold whatever the link is like now.
            capacity = (int) Math.max(capacity, received - start);
        }
        if (log.isDebugEnabled()) {
            log.debug("Upload {}: part {} from byte {}: {} bytes; ahead {} (rate {} MB/s, rtt {} ms, finish {} ms,"
                            + " window {})", id, nextPartNumber, start, capacity, wantedAhead(),
                    (long) (runAhead.deliveryRate() / 1e6), window.minRttNanos() / 1_000_000,
                    runAhead.shortestFinishNanos() / 1_000_000, window.windowBytes());
        }
        byte[] data = spare != null && spare.length >= capacity ? spare : new byte[capacity];
        spare = null;
        return new PartBuffer(nextPartNumber, start, capacity, data);
    }

    /** The filling buffer is complete: store it now, or queue it behind the part being stored. */
    private void seal() {
        PartBuffer part = filling;
        part.sealedNanos = System.nanoTime();
        part.digestState = digest.state();
        filling = null;
        nextPartStart = part.start + part.capacity;
        nextPartNumber = part.number + 1;
        if (inFlight == null && sealed.isEmpty() && mayStore()) {
            startUpload(part);
        } else {
            sealed.add(part);
        }
        // With receive-ahead always; otherwise for credit already granted past the boundary, or room for more.
        boolean wanted = settings.receiveAhead()
                ? inFlight == part && !(paused && outstanding == 0)
                : outstanding > 0 || (!paused && roomForAChunk());
        if (wanted) {
            receiveNext();
        }
    }

    private void maybeHibernate() {
        if (phase != Phase.RECEIVING || !paused || outstanding > 0 || storing() || !sealed.isEmpty()
                || filling == null || staging || waking) {
            return;
        }
        spare = null;
        window.idle();
        abandonStream(filling);
        if (filling.fill > tailBytes && filling.start == partsBytes) {
            stageTail(() -> {
                if (paused && outstanding == 0 && phase == Phase.RECEIVING) {
                    filling = null;
                } else {
                    grant();
                }
            });
        } else {
            filling = null;
        }
    }

    // ---- storage ------------------------------------------------------------------------------------------------

    /**
     * Starts sending a new part to S3 while it fills (if the store can): its request carries the bytes as they
     * arrive, so S3 has the part moments after its last byte came in, instead of a part's transfer later. If that
     * request fails (S3 unavailable, or no bytes for a while because the client is slow or paused), the part is
     * sent whole once it is complete, from the same buffer.
     */
    private void openStream(PartBuffer part) {
        part.streamOpened = true;
        if (!(store instanceof StreamedPartUpload streamed) || discard) {
            return;
        }
        PartFeed feed = new PartFeed(part.data, part.capacity);
        part.feed = feed;
        multipartId()
                .flatMap(uploadId -> streamed.uploadPart(objectKey, uploadId, part.number, feed))
                .subscribe(etag -> serial.execute(() -> {
                    if (part.feed != feed) {
                        return;
                    }
                    part.feed = null;
                    part.etag = etag;
                    part.storedNanos = System.nanoTime();
                    if (part == inFlight) {
                        onPartUploaded(part, etag);
                    }
                }), e -> serial.execute(() -> {
                    if (part.feed != feed) {
                        return;
                    }
                    part.feed = null;
                    log.debug("Upload {}: part {} streamed in vain, it will be sent whole: {}", id, part.number,
                            e.toString());
                    if (part == inFlight && phase != Phase.CLOSED) {
                        storePart(part);
                    }
                }));
    }

    /** Bytes landed in the part: its request starts with the first of them (an empty channel costs S3 nothing). */
    private void fed(PartBuffer part) {
        if (!part.streamOpened) {
            openStream(part);
        }
        if (part.feed != null) {
            part.feed.advance(part.fill);
        }
    }

    /** The part's bytes will not all come: its request must fail now rather than wait, and its buffer not be reused. */
    private void abandonStream(PartBuffer part) {
        if (part != null && part.feed != null) {
            part.feed.abandon();
            part.feed = null;
            part.abandoned = true;
        }
    }

    /** A complete part goes to S3: its request is already under way (or done), or it is sent whole now. */
    private void startUpload(PartBuffer part) {
        inFlight = part;
        if (part.etag != null) {
            String etag = part.etag;
            serial.execute(() -> {
                if (inFlight == part) {
                    onPartUploaded(part, etag);
                }
            });
        } else if (part.feed == null) {
            storePart(part);
        }
    }

    /**
     * Sends a part to S3. Its buffer is free once S3 has it; recording it in the database follows in part order
     * ({@link #recordNext()}), while the next part already goes to S3: the two stores overlap instead of adding up.
     */
    private void storePart(PartBuffer part) {
        multipartId()
                .flatMap(uploadId -> store.uploadPart(objectKey, uploadId, part.number, part.data, part.fill)
                        .retryWhen(storageRetry()))
                .subscribe(etag -> serial.execute(() -> onPartUploaded(part, etag)),
                        e -> serial.execute(() -> {
                            inFlight = null;
                            discard = true;
                            fail(storageFailure("store part " + part.number, e));
                            continueClosing();
                        }));
    }

    /** The S3 multipart upload, created with the first part; concurrent parts share one creation. */
    private Mono<String> multipartId() {
        if (s3UploadId != null) {
            return Mono.just(s3UploadId);
        }
        if (creatingMultipart == null) {
            creatingMultipart = createMultipart()
                    .doOnError(e -> serial.execute(() -> creatingMultipart = null))
                    .cache();
        }
        return creatingMultipart;
    }

    private Mono<String> createMultipart() {
        return store.createMultipartUpload(objectKey, null)
                .retryWhen(storageRetry())
                .flatMap(uploadId -> repo.attachMultipart(id, epoch, uploadId)
                        .retryWhen(storageRetry())
                        .flatMap(ok -> ok ? Mono.just(uploadId)
                                : store.abortMultipartUpload(objectKey, uploadId).then(Mono.error(lostWriter()))))
                .doOnNext(uploadId -> s3UploadId = uploadId);
    }

    private void onPartUploaded(PartBuffer part, String etag) {
        inFlight = null;
        if (!part.abandoned && filling == null) {
            // Kept for the next part only when none is filling yet: a buffer held idle until the part filling now
            // ends would double what an upload that runs past its parts holds (64 uploads at 2 MB/s: 28 MiB each
            // instead of 16, benchmarks of 2026-12-03); a fresh array costs a few milliseconds per part.
            spare = part.data;
        }
        toRecord.add(new PendingRecord(new PartRecord(part.number, etag, part.fill),
                new DurablePoint(part.start + part.fill, 0, part.digestState), part.sealedNanos,
                part.storedNanos != 0 ? part.storedNanos : System.nanoTime()));
        recordNext();
        if (phase == Phase.CLOSED) {
            return;
        }
        storeSealed();
        if (phase == Phase.RECEIVING) {
            ensureFilling();
            grant();
        }
    }

    /**
     * At most one part may wait for its database record while another goes to S3: when the database is slow or
     * down, parts stop going to S3, the buffers fill and credit stops (the client sees a pause), instead of parts
     * piling up in S3 that no durable offset covers yet.
     */
    private boolean mayStore() {
        return toRecord.size() < 2;
    }

    /** Parts received in full and not yet recorded: on their way to S3 or waiting for their database record. */
    private int unrecordedParts() {
        return toRecord.size() + (inFlight != null ? 1 : 0) + sealed.size();
    }

    private void storeSealed() {
        if (!sealed.isEmpty() && inFlight == null && !discard && mayStore()) {
            startUpload(sealed.poll());
        }
    }

    /** Records the oldest part S3 has stored, if no record is under way; records go strictly in part order. */
    private void recordNext() {
        PendingRecord next = toRecord.peek();
        if (recording || next == null) {
            return;
        }
        recording = true;
        repo.recordPart(id, epoch, next.part(), next.point())
                .retryWhen(storageRetry())
                .subscribe(recorded -> serial.execute(() -> onPartRecorded(next, recorded)),
                        e -> serial.execute(() -> {
                            recording = false;
                            toRecord.clear();
                            discard = true;
                            fail(storageFailure("record part " + next.part().number(), e));
                            continueClosing();
                        }));
    }

    private void onPartRecorded(PendingRecord record, boolean recorded) {
        recording = false;
        toRecord.poll();
        long now = System.nanoTime();
        if (recorded) {
            runAhead.recorded(record.point().partsBytes(), now, now - record.sealedNanos());
        }
        if (log.isDebugEnabled()) {
            log.debug("Upload {}: part {} ({} bytes) {}: {} ms from its last byte to S3's ETag, {} ms more to the"
                            + " record", id, record.part().number(), record.part().size(),
                    recorded ? "recorded" : "refused", (record.storedNanos() - record.sealedNanos()) / 1_000_000,
                    (now - record.storedNanos()) / 1_000_000);
        }
        if (!recorded) {
            toRecord.clear();
            discard = true;
            fail(lostWriter());
            continueClosing();
            return;
        }
        partsBytes = record.point().partsBytes();
        tailBytes = 0;
        if (partsBytes == size) {
            finish();
            return;
        }
        progress(true);
        recordNext();
        storeSealed();
        if (phase == Phase.RECEIVING) {
            ensureFilling();
            grant();
            maybeHibernate();
        } else {
            continueClosing();
        }
    }

    /** Whether a part is on its way to S3 or to the database; staging and closing wait for this. */
    private boolean storing() {
        return inFlight != null || recording || !toRecord.isEmpty();
    }

    /** Stores the received bytes of the current part as the tail object and records them as durable. */
    private void stageTail(Runnable then) {
        staging = true;
        PartBuffer part = filling;
        int length = part.fill;
        byte[] state = digest.state();
        store.putObject(ObjectKeys.tail(id), part.data, length, "application/octet-stream")
                .retryWhen(storageRetry())
                .then(repo.recordTail(id, epoch, new DurablePoint(partsBytes, length, state))
                        .retryWhen(storageRetry()))
                .subscribe(recorded -> serial.execute(() -> {
                    staging = false;
                    log.debug("Upload {}: staged {} bytes after byte {} ({})", id, length, partsBytes,
                            recorded ? "recorded" : "refused");
                    if (recorded) {
                        tailBytes = length;
                        progress(true);
                    }
                    then.run();
                    continueClosing();
                }), e -> serial.execute(() -> {
                    staging = false;
                    log.warn("Upload {}: could not stage {} received bytes; the durable offset stays at {}",
                            id, length, partsBytes + tailBytes, e);
                    then.run();
                    continueClosing();
                }));
    }

    private void finish() {
        if (phase == Phase.FINISHING || phase == Phase.CLOSED) {
            return;
        }
        phase = Phase.FINISHING;
        cancelInbound();
        String sha256 = digest.hex();
        if (expectedSha256 != null && !expectedSha256.equalsIgnoreCase(sha256)) {
            String message = "The received bytes have SHA-256 " + sha256 + ", not the declared " + expectedSha256
                    + "; the upload failed. Check the file and upload it again.";
            repo.transition(id, UploadState.FAILED, ErrorCode.CHECKSUM_MISMATCH, message)
                    .then(discardStorage())
                    .doOnError(e -> log.warn("Upload {}: cleanup after a checksum mismatch failed", id, e))
                    .onErrorComplete()
                    .doOnTerminate(() -> observer.stateChanged(id))
                    .subscribe(null, null, () -> serial.execute(() -> end(
                            new TransferException(ErrorCode.CHECKSUM_MISMATCH, message))));
            return;
        }
        assemble()
                .retryWhen(storageRetry())
                .then(repo.complete(id, epoch, sha256).retryWhen(storageRetry()))
                .subscribe(done -> serial.execute(() -> {
                    if (!done) {
                        end(lostWriter());
                        return;
                    }
                    store.deleteObject(ObjectKeys.tail(id)).subscribe(null,
                            e -> log.debug("Upload {}: tail cleanup failed", id, e));
                    events.tryEmitNext(new UploadEvent(UploadEvent.Type.COMPLETED, size, size,
                            UploadState.COMPLETED, sha256));
                    observer.stateChanged(id);
                    end(null);
                }), e -> serial.execute(() -> end(storageFailure("complete the upload", e))));
    }

    private Mono<Void> assemble() {
        if (size == 0) {
            return store.putObject(objectKey, new byte[0], 0, null);
        }
        // A retry after a crash may find the multipart upload already completed: the object is then there.
        return repo.parts(id)
                .map(p -> new StoredPart(p.number(), p.etag()))
                .collectList()
                .flatMap(parts -> store.completeMultipartUpload(objectKey, s3UploadId, parts))
                .onErrorResume(e -> !(e instanceof StorageUnavailableException),
                        e -> store.objectSize(objectKey).flatMap(stored -> stored.isPresent() && stored.get() == size
                                ? Mono.empty() : Mono.error(e)));
    }

    private Mono<Void> discardStorage() {
        Mono<Void> abort = s3UploadId == null ? Mono.empty() : store.abortMultipartUpload(objectKey, s3UploadId);
        return abort.then(store.deleteObject(ObjectKeys.tail(id)));
    }

    // ---- closing ------------------------------------------------------------------------------------------------

    private void fail(TransferException error) {
        if (phase == Phase.RECEIVING) {
            beginClose(error);
        } else if (phase == Phase.FINISHING) {
            end(error);
        } else if (closeError == null) {
            closeError = error;
        }
    }

    private void beginClose(TransferException error) {
        if (phase != Phase.RECEIVING) {
            return;
        }
        log.debug("Upload {}: closing at {} received, {} durable ({})", id, received, partsBytes + tailBytes,
                error == null ? "channel ended" : error.code());
        phase = Phase.CLOSING;
        closeError = error;
        cancelInbound();
        // No more bytes will come: the part filling now is staged from its buffer, or dropped.
        abandonStream(filling);
        continueClosing();
    }

    /** Drives CLOSING to its end: store queued parts, stage the partial part, then close. */
    private void continueClosing() {
        if (phase != Phase.CLOSING || storing() || staging || waking) {
            return;
        }
        if (!discard && !sealed.isEmpty()) {
            startUpload(sealed.poll());
            return;
        }
        if (!discard && filling != null && filling.start == partsBytes && filling.fill > tailBytes) {
            stageTail(() -> {
                filling = null;
                continueClosing();
            });
            return;
        }
        if (closeError == null) {
            progress(true);
        }
        end(closeError);
    }

    private void end(TransferException error) {
        if (phase == Phase.CLOSED) {
            return;
        }
        log.debug("Upload {}: closed at {} received, {} durable ({})", id, received, partsBytes + tailBytes,
                error == null ? "ok" : error.code());
        phase = Phase.CLOSED;
        abandonStream(filling);
        sealed.forEach(this::abandonStream);
        filling = null;
        sealed.clear();
        spare = null;
        cancelInbound();
        onClosed.accept(this);
        if (error != null) {
            events.tryEmitError(error);
        } else {
            events.tryEmitComplete();
        }
        closed.tryEmitEmpty();
    }

    private void cancelInbound() {
        if (!inboundDone && inbound != null) {
            inboundDone = true;
            inbound.cancel();
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /**
     * Reports progress at most every {@link #PROGRESS_INTERVAL_NANOS}; a report held back is sent at the end of the
     * interval, so the last state is always reported (a client that stops sending sees where it stopped).
     */
    private void progress(boolean force) {
        long now = System.nanoTime();
        long wait = lastProgressNanos + PROGRESS_INTERVAL_NANOS - now;
        if (force || wait <= 0) {
            lastProgressNanos = now;
            emit(UploadEvent.Type.PROGRESS);
        } else if (!progressScheduled) {
            progressScheduled = true;
            Schedulers.parallel().schedule(() -> serial.execute(() -> {
                progressScheduled = false;
                if (phase != Phase.CLOSED) {
                    progress(true);
                }
            }), wait, TimeUnit.NANOSECONDS);
        }
    }

    private void emit(UploadEvent.Type type) {
        UploadState state = paused ? UploadState.PAUSED : UploadState.ACTIVE;
        events.tryEmitNext(new UploadEvent(type, received, partsBytes + tailBytes, state, null));
        observer.progress(id, state, received, partsBytes + tailBytes, size);
    }

    private Retry storageRetry() {
        return StorageRetry.until(settings.storageRetryTimeout());
    }

    private TransferException lostWriter() {
        return new TransferException(ErrorCode.TAKEN_OVER, "Upload " + id + " was taken over by another write"
                + " channel, or it is no longer open; query its state before writing again.");
    }

    private TransferException storageFailure(String what, Throwable e) {
        if (e instanceof TransferException te) {
            return te;
        }
        log.warn("Upload {}: could not {}", id, what, e);
        if (e instanceof StorageUnavailableException) {
            return new TransferException(ErrorCode.STORAGE_UNAVAILABLE, "Storage is unavailable, so the server could"
                    + " not " + what + "; the upload is durable up to byte " + (partsBytes + tailBytes)
                    + " and can be resumed from there.", partsBytes + tailBytes, e);
        }
        return new TransferException(ErrorCode.INTERNAL, "The server could not " + what + "; the upload is durable up"
                + " to byte " + (partsBytes + tailBytes) + " and can be resumed from there.", partsBytes + tailBytes, e);
    }

    /** A part S3 has stored and the database has yet to record. */
    private record PendingRecord(PartRecord part, DurablePoint point, long sealedNanos, long storedNanos) {
    }

    /** The bytes of one S3 part while it is received and stored. */
    private static final class PartBuffer {
        final int number;
        final long start;
        final int capacity;
        final byte[] data;
        int fill;
        byte[] digestState;
        /** While S3 receives the part as it fills; null once that request ended (or if there is none). */
        PartFeed feed;
        /** The part's ETag, once a streamed request stored it. */
        String etag;
        /** When its last byte arrived. */
        long sealedNanos;
        /** When a streamed request returned its ETag (0: not yet, or sent whole). */
        long storedNanos;
        /** A request that was given up may still read the buffer: it is never reused. */
        boolean abandoned;
        /** Whether a request was started as the part filled (at most one per buffer). */
        boolean streamOpened;

        PartBuffer(int number, long start, int capacity, byte[] data) {
            this.number = number;
            this.start = start;
            this.capacity = capacity;
            this.data = data;
        }

        long room() {
            return capacity - fill;
        }
    }
}
