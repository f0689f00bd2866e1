package dev.relay.streaming.upload;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTelemetry;
import dev.relay.api.wire.UploadTicket;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.TransferSettings;
import dev.relay.streaming.digest.ResumableSha256;
import dev.relay.streaming.port.FileCatalog;
import dev.relay.streaming.port.NewUpload;
import dev.relay.streaming.port.NodeBus;
import dev.relay.streaming.port.NodeBus.UploadCommand;
import dev.relay.streaming.port.NodeBus.UploadCommand.Kind;
import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.UploadRepository;
import dev.relay.streaming.port.WriterClaim;
import dev.relay.streaming.port.UploadLimits;
import dev.relay.streaming.port.UploadRecord;
import dev.relay.streaming.support.StorageRetry;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Clock;
import java.time.Duration;
import java.util.UUID;

/**
 * The upload use cases. Callers pass the authenticated owner's id; an upload of someone else is reported as not
 * found. Write channels are {@link UploadSession}s; this class opens, finds and ends them.
 */
public final class UploadService {

    /** How long a status request waits for a channel of the upload that is closing here ({@link #get}). */
    static final Duration SETTLE_WAIT = Duration.ofSeconds(5);

    private final UploadRepository repo;
    private final FileCatalog catalog;
    private final ObjectStore store;
    private final TransferSettings settings;
    private final UploadObserver observer;
    private final SessionRegistry sessions = new SessionRegistry();
    private final SessionTelemetry telemetry;
    private final NodeControl control;
    private final BufferBudget budget;
    private final PartBytes.Allocator parts;

    /** A single node: every write channel is on this one. */
    public UploadService(UploadRepository repo, FileCatalog catalog, ObjectStore store, TransferSettings settings,
                         UploadObserver observer) {
        this(repo, catalog, store, settings, observer, NodeBus.standalone());
    }

    /** One node of several: verbs on an upload whose channel is on another node go there through {@code nodes}. */
    public UploadService(UploadRepository repo, FileCatalog catalog, ObjectStore store, TransferSettings settings,
                         UploadObserver observer, NodeBus nodes) {
        this(repo, catalog, store, settings, observer, nodes, null);
    }

    /** @param spool where parts wait until they are durable; null: on the heap */
    public UploadService(UploadRepository repo, FileCatalog catalog, ObjectStore store, TransferSettings settings,
                         UploadObserver observer, NodeBus nodes, PartSpool spool) {
        this.parts = spool != null ? spool : PartBytes.HEAP;
        this.repo = repo;
        this.telemetry = new SessionTelemetry(nodes, repo, sessions);
        this.control = new NodeControl(nodes, repo, sessions, telemetry);
        this.catalog = catalog;
        this.store = store;
        this.settings = settings;
        this.budget = new BufferBudget(settings.bufferBudgetBytes());
        this.observer = observer;
        // The SHA-256 engine loads now, at start-up: the native one unpacks its library from a jar (blocking I/O),
        // which must not happen on an event loop when the first upload arrives.
        ResumableSha256.accelerated();
    }

    public TransferSettings settings() {
        return settings;
    }

    /** The memory the part buffers of this node's uploads hold and may hold. */
    public BufferBudget bufferBudget() {
        return budget;
    }

    /** The number of write channels open on this node. */
    public int openSessions() {
        return sessions.size();
    }

    /** Creates an upload the owner keeps (sending to a recipient goes through the chat, which creates a message). */
    public Mono<UploadTicket> create(String ownerId, CreateUploadRequest request) {
        return createRecord(ownerId, request, null).map(u -> ticket(u, null));
    }

    /** Validates and stores a new upload, to be sent to {@code recipientId} if not null. */
    public Mono<UploadRecord> createRecord(String ownerId, CreateUploadRequest request, String recipientId) {
        return Mono.fromCallable(() -> UploadRequests.validate(request, settings))
                .flatMap(valid -> {
                    String id = UUID.randomUUID().toString();
                    NewUpload upload = new NewUpload(id, ownerId, valid.name(), valid.size(), valid.contentType(),
                            valid.sha256(), settings.partSizeFor(valid.size()), ObjectKeys.file(id), recipientId);
                    return repo.create(upload, new UploadLimits(settings.userQuotaBytes(),
                            settings.maxOpenUploadsPerUser()));
                });
    }

    public UploadTicket ticket(UploadRecord u, Long messageId) {
        return new UploadTicket(u.id(), u.size(), u.partSize(), u.durableOffset(), settings.maxChunkBytes(),
                messageId);
    }

    /**
     * The upload as the next write channel will find it. A channel of it that has ended on this node (its connection
     * dropped, say) but still stores what it received is waited for first, for at most {@link #SETTLE_WAIT}: the
     * offset answered is then the one a new channel must start at, not the one before the staging. A channel ending
     * on another node of a cluster is not waited for (docs/protocol.md, section 4).
     */
    public Mono<UploadInfo> get(String ownerId, String id) {
        return owned(ownerId, id)
                .flatMap(u -> sessions.get(id).filter(UploadSession::settling)
                        .map(s -> s.whenClosed().timeout(SETTLE_WAIT, Mono.empty()).then(repo.find(id)))
                        .orElseGet(() -> Mono.just(u)))
                .map(UploadViews::info);
    }

    public Flux<UploadInfo> list(String ownerId) {
        return catalog.listByOwner(ownerId).map(UploadViews::info);
    }

    /**
     * Opens a write channel: {@code chunks} are the bytes from {@code startOffset}, which must equal the durable
     * offset. A channel already open for the upload on this node is taken over first (it stores what it received),
     * so the durable offset the new one is checked against is final.
     */
    public Flux<UploadEvent> write(String ownerId, String id, long startOffset, Flux<Chunk> chunks) {
        return owned(ownerId, id)
                .flatMap(u -> requireOpen(u, "written"))
                .flatMap(u -> sessions.get(id).map(UploadSession::takeOver).orElseGet(() -> control.handOver(u))
                        .then(repo.claimWriter(id, PartPipeline.PART_NUMBERS_AHEAD, control.nodeId())
                                .retryWhen(StorageRetry.until(settings.storageRetryTimeout()))))
                .switchIfEmpty(Mono.error(() -> new TransferException(ErrorCode.INVALID_STATE,
                        "Upload " + id + " is no longer open and cannot be written.")))
                .flatMap(writer -> repo.find(id).map(u -> new Claim(u, writer)))
                .flatMapMany(claim -> {
                    UploadRecord u = claim.upload();
                    if (startOffset != u.durableOffset()) {
                        return Flux.error(TransferException.offsetMismatch(id, u.durableOffset(), startOffset));
                    }
                    UploadSession session = new UploadSession(u, claim.writer(), store, repo, settings, budget, parts, observer,
                            sessions::remove);
                    sessions.register(session).ifPresent(UploadSession::takeOver);
                    if (u.rateLimit() > 0) {
                        session.limit(u.rateLimit());
                    }
                    return session.run(chunks);
                });
    }

    /**
     * Closes every write channel on this node for a shutdown: each stores what it received (queued part, staged
     * tail) and ends with SHUTTING_DOWN, so clients resume elsewhere or later re-sending only what was in flight.
     */
    public Mono<Void> closeAll() {
        return Flux.fromIterable(sessions.all())
                .flatMap(session -> session.close(new TransferException(ErrorCode.SHUTTING_DOWN,
                        "The server is shutting down; resume upload " + session.uploadId()
                                + " from its durable offset on a new connection.")))
                .then();
    }

    /** Pauses an upload: its open write channel (if any) is granted no more credit until it is resumed. */
    public Mono<UploadInfo> pause(String ownerId, String id) {
        return changeState(ownerId, id, UploadState.PAUSED, "paused")
                .doOnNext(u -> control.control(u, new UploadCommand(Kind.PAUSE, id, 0, null)))
                .map(UploadViews::info);
    }

    /** Resumes an upload: its open write channel is granted credit again; the client needs no new request. */
    public Mono<UploadInfo> resume(String ownerId, String id) {
        return changeState(ownerId, id, UploadState.ACTIVE, "resumed")
                .doOnNext(u -> control.control(u, new UploadCommand(Kind.RESUME, id, 0, null)))
                .map(UploadViews::info);
    }

    /** Caps the upload's rate (null or 0 lifts the cap): its channel's credit is paced to it. */
    public Mono<UploadInfo> limit(String ownerId, String id, Long bytesPerSecond) {
        if (bytesPerSecond != null && bytesPerSecond < 0) {
            return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "A rate cap is a number of bytes per"
                    + " second, 0 or more (0 or null: no cap)."));
        }
        long rate = bytesPerSecond == null ? 0 : bytesPerSecond;
        return owned(ownerId, id).flatMap(u -> requireOpen(u, "limited"))
                .flatMap(u -> repo.setRateLimit(id, rate).flatMap(open -> open ? Mono.just(u)
                        : repo.find(id).flatMap(latest -> Mono.error(notInState(latest, "limited")))))
                .map(u -> {
                    control.control(u, new UploadCommand(Kind.LIMIT, id, rate, null));
                    return UploadViews.info(u);
                });
    }

    /**
     * Samples of the upload's flow control every {@code interval} until cancelled: from its open channel on this
     * node, or from the database (durable offset and state only) when there is none.
     */
    public Flux<UploadTelemetry> telemetry(String ownerId, String id, Duration interval, Clock clock) {
        // A channel open here proves ownership without the database, so samples keep coming during its outages.
        String key = id + "@" + interval.toMillis();
        if (sessions.get(id).filter(session -> session.ownerId().equals(ownerId)).isPresent()) {
            return telemetry.shared(key, () -> telemetry.samples(id, interval, clock));
        }
        return owned(ownerId, id).flatMapMany(u -> u.state().isOpen() && u.writerNode() != null
                && !u.writerNode().equals(control.nodeId())
                ? telemetry.shared("remote:" + key, () -> telemetry.remote(u, interval, clock))
                : telemetry.shared(key, () -> telemetry.samples(id, interval, clock)));
    }

    /** Carries out, until disposed, the commands other nodes send to this one (see {@link NodeControl}). */
    public Disposable receiveCommands() {
        return control.receiveCommands();
    }

    /** Re-reads the uploads held here and applies their state and cap (see {@link NodeControl#reconcile}). */
    public Mono<Void> reconcile() {
        return control.reconcile();
    }

    /** Cancels an upload: its channel is closed, its multipart upload aborted, its staged bytes deleted. */
    public Mono<UploadInfo> cancel(String ownerId, String id) {
        return owned(ownerId, id)
                .flatMap(u -> repo.transition(id, UploadState.CANCELLED, null, null)
                        .switchIfEmpty(Mono.defer(() -> Mono.error(notInState(u, "cancelled")))))
                .flatMap(u -> end(u, new TransferException(ErrorCode.CANCELLED, "Upload " + id + " was cancelled."))
                        .thenReturn(UploadViews.info(u)));
    }

    /**
     * Deletes an upload whatever its state, for its deleted file message or an administrator (the caller checked
     * who may): a running upload is stopped, and everything stored for it is removed.
     */
    public Mono<Void> delete(String id) {
        return repo.find(id)
                .switchIfEmpty(Mono.error(() -> TransferException.notFound("file", id)))
                .flatMap(before -> repo.transition(id, UploadState.DELETED, null, null)
                        .flatMap(u -> end(u, new TransferException(ErrorCode.CANCELLED, "Upload " + id
                                + " was deleted."))
                                .then(before.state() == UploadState.COMPLETED
                                        ? store.deleteObject(u.objectKey()) : Mono.empty())));
    }

    /**
     * Releases everything an upload that reached a final state (other than COMPLETED) holds: closes its channel on
     * this node, aborts the multipart upload and deletes the staged tail.
     */
    Mono<Void> end(UploadRecord u, TransferException reason) {
        Mono<Void> closeSession = sessions.get(u.id()).map(s -> s.terminate(reason)).orElseGet(() -> {
            control.control(u, new UploadCommand(Kind.END, u.id(), 0, u.state().name()));
            return Mono.empty();
        });
        return closeSession
                .then(repo.find(u.id()))
                .flatMap(latest -> (latest.s3UploadId() == null ? Mono.<Void>empty()
                        : store.abortMultipartUpload(latest.objectKey(), latest.s3UploadId()))
                        .then(ObjectKeys.tail(latest) == null ? Mono.<Void>empty()
                                : store.deleteObject(ObjectKeys.tail(latest))))
                .doOnTerminate(() -> observer.stateChanged(u.id()));
    }

    private Mono<UploadRecord> changeState(String ownerId, String id, UploadState target, String verb) {
        return owned(ownerId, id).flatMap(u -> {
            if (u.state() == target) {
                return Mono.just(u);
            }
            return repo.transition(id, target, null, null)
                    .doOnNext(changed -> observer.stateChanged(id))
                    .switchIfEmpty(Mono.defer(() -> repo.find(id).flatMap(latest -> latest.state() == target
                            ? Mono.just(latest) : Mono.error(notInState(latest, verb)))));
        });
    }

    private Mono<UploadRecord> owned(String ownerId, String id) {
        return repo.findOwned(id, ownerId)
                .switchIfEmpty(Mono.error(() -> TransferException.notFound("upload", id)));
    }

    private static Mono<UploadRecord> requireOpen(UploadRecord u, String verb) {
        return u.state().isOpen() ? Mono.just(u) : Mono.error(notInState(u, verb));
    }

    private static TransferException notInState(UploadRecord u, String verb) {
        return new TransferException(ErrorCode.INVALID_STATE, "Upload " + u.id() + " is " + u.state()
                + " and cannot be " + verb + ".");
    }

    private record Claim(UploadRecord upload, WriterClaim writer) {
    }
}
