package dev.relay.streaming.upload;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.TransferSettings;
import dev.relay.streaming.port.NewUpload;
import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.TransferRepository;
import dev.relay.streaming.port.UploadLimits;
import dev.relay.streaming.port.UploadRecord;
import dev.relay.streaming.support.StorageRetry;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.UUID;

/**
 * The upload use cases. Callers pass the authenticated owner's id; an upload of someone else is reported as not
 * found. Write channels are {@link UploadSession}s; this class opens, finds and ends them.
 */
public final class UploadService {

    private final TransferRepository repo;
    private final ObjectStore store;
    private final TransferSettings settings;
    private final SessionRegistry sessions = new SessionRegistry();

    public UploadService(TransferRepository repo, ObjectStore store, TransferSettings settings) {
        this.repo = repo;
        this.store = store;
        this.settings = settings;
    }

    public TransferSettings settings() {
        return settings;
    }

    /** The number of write channels open on this node. */
    public int openSessions() {
        return sessions.size();
    }

    public Mono<UploadTicket> create(String ownerId, CreateUploadRequest request) {
        return Mono.fromCallable(() -> UploadRequests.validate(request, settings))
                .flatMap(valid -> {
                    String id = UUID.randomUUID().toString();
                    NewUpload upload = new NewUpload(id, ownerId, valid.name(), valid.size(), valid.contentType(),
                            valid.sha256(), settings.partSizeFor(valid.size()), ObjectKeys.file(id));
                    return repo.create(upload, new UploadLimits(settings.userQuotaBytes(),
                            settings.maxOpenUploadsPerUser()));
                })
                .map(u -> new UploadTicket(u.id(), u.size(), u.partSize(), u.durableOffset(),
                        settings.maxChunkBytes()));
    }

    public Mono<UploadInfo> get(String ownerId, String id) {
        return owned(ownerId, id).map(UploadViews::info);
    }

    public Flux<UploadInfo> list(String ownerId) {
        return repo.listByOwner(ownerId).map(UploadViews::info);
    }

    /**
     * Opens a write channel: {@code chunks} are the bytes from {@code startOffset}, which must equal the durable
     * offset. A channel already open for the upload on this node is taken over first (it stores what it received),
     * so the durable offset the new one is checked against is final.
     */
    public Flux<UploadEvent> write(String ownerId, String id, long startOffset, Flux<Chunk> chunks) {
        return owned(ownerId, id)
                .flatMap(u -> requireOpen(u, "written"))
                .flatMap(u -> sessions.get(id).map(UploadSession::takeOver).orElse(Mono.empty())
                        .then(repo.claimWriter(id).retryWhen(StorageRetry.until(settings.storageRetryTimeout()))))
                .switchIfEmpty(Mono.error(() -> new TransferException(ErrorCode.INVALID_STATE,
                        "Upload " + id + " is no longer open and cannot be written.")))
                .flatMap(epoch -> repo.find(id).map(u -> new Claim(u, epoch)))
                .flatMapMany(claim -> {
                    UploadRecord u = claim.upload();
                    if (startOffset != u.durableOffset()) {
                        return Flux.error(TransferException.offsetMismatch(id, u.durableOffset(), startOffset));
                    }
                    UploadSession session = new UploadSession(u, claim.epoch(), store, repo, settings,
                            sessions::remove);
                    sessions.register(session).ifPresent(UploadSession::takeOver);
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
                .doOnNext(u -> sessions.get(id).ifPresent(UploadSession::pause));
    }

    /** Resumes an upload: its open write channel is granted credit again; the client needs no new request. */
    public Mono<UploadInfo> resume(String ownerId, String id) {
        return changeState(ownerId, id, UploadState.ACTIVE, "resumed")
                .doOnNext(u -> sessions.get(id).ifPresent(UploadSession::resume));
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
     * Releases everything an upload that reached a final state (other than COMPLETED) holds: closes its channel on
     * this node, aborts the multipart upload and deletes the staged tail.
     */
    Mono<Void> end(UploadRecord u, TransferException reason) {
        Mono<Void> closeSession = sessions.get(u.id()).map(s -> s.terminate(reason)).orElse(Mono.empty());
        return closeSession
                .then(repo.find(u.id()))
                .flatMap(latest -> latest.s3UploadId() == null ? Mono.<Void>empty()
                        : store.abortMultipartUpload(latest.objectKey(), latest.s3UploadId()))
                .then(store.deleteObject(ObjectKeys.tail(u.id())));
    }

    private Mono<UploadInfo> changeState(String ownerId, String id, UploadState target, String verb) {
        return owned(ownerId, id).flatMap(u -> {
            if (u.state() == target) {
                return Mono.just(UploadViews.info(u));
            }
            return repo.transition(id, target, null, null)
                    .map(UploadViews::info)
                    .switchIfEmpty(Mono.defer(() -> repo.find(id).flatMap(latest -> latest.state() == target
                            ? Mono.just(UploadViews.info(latest)) : Mono.error(notInState(latest, verb)))));
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

    private record Claim(UploadRecord upload, long epoch) {
    }
}
