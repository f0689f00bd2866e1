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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The upload use cases. Callers pass the authenticated owner's id; an upload of someone else is reported as not
 * found. Write channels are {@link UploadSession}s; this class opens, finds and ends them.
 */
public final class UploadService {

    private static final Logger log = LoggerFactory.getLogger(UploadService.class);
    /** How long a holder publishes an upload's samples after the watching node last asked. */
    static final Duration TELEMETRY_LEASE = Duration.ofSeconds(10);
    /** How long a new channel waits for another node to hand the upload over, and how often it looks. */
    static final Duration HANDOVER_WAIT = Duration.ofSeconds(2);
    private static final Duration HANDOVER_POLL = Duration.ofMillis(50);

    private final UploadRepository repo;
    private final FileCatalog catalog;
    private final ObjectStore store;
    private final TransferSettings settings;
    private final UploadObserver observer;
    private final NodeBus nodes;
    private final SessionRegistry sessions = new SessionRegistry();
    /** Uploads whose channel here publishes samples for another node, and until when ({@link System#nanoTime}). */
    private final Map<String, Long> telemetryLeases = new ConcurrentHashMap<>();

    /** A single node: every write channel is on this one. */
    public UploadService(UploadRepository repo, FileCatalog catalog, ObjectStore store, TransferSettings settings,
                         UploadObserver observer) {
        this(repo, catalog, store, settings, observer, NodeBus.standalone());
    }

    /** One node of several: verbs on an upload whose channel is on another node go there through {@code nodes}. */
    public UploadService(UploadRepository repo, FileCatalog catalog, ObjectStore store, TransferSettings settings,
                         UploadObserver observer, NodeBus nodes) {
        this.nodes = nodes;
        this.repo = repo;
        this.catalog = catalog;
        this.store = store;
        this.settings = settings;
        this.observer = observer;
        // The SHA-256 engine loads now, at start-up: the native one unpacks its library from a jar (blocking I/O),
        // which must not happen on an event loop when the first upload arrives.
        ResumableSha256.accelerated();
    }

    public TransferSettings settings() {
        return settings;
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

    public Mono<UploadInfo> get(String ownerId, String id) {
        return owned(ownerId, id).map(UploadViews::info);
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
                .flatMap(u -> sessions.get(id).map(UploadSession::takeOver).orElseGet(() -> handOver(u))
                        .then(repo.claimWriter(id, PartPipeline.PART_NUMBERS_AHEAD, nodes.nodeId())
                                .retryWhen(StorageRetry.until(settings.storageRetryTimeout()))))
                .switchIfEmpty(Mono.error(() -> new TransferException(ErrorCode.INVALID_STATE,
                        "Upload " + id + " is no longer open and cannot be written.")))
                .flatMap(writer -> repo.find(id).map(u -> new Claim(u, writer)))
                .flatMapMany(claim -> {
                    UploadRecord u = claim.upload();
                    if (startOffset != u.durableOffset()) {
                        return Flux.error(TransferException.offsetMismatch(id, u.durableOffset(), startOffset));
                    }
                    UploadSession session = new UploadSession(u, claim.writer(), store, repo, settings, observer,
                            sessions::remove);
                    sessions.register(session).ifPresent(UploadSession::takeOver);
                    if (u.rateLimit() > 0) {
                        session.limit(u.rateLimit());
                    }
                    return session.run(chunks);
                });
    }

    /**
     * Asks the node holding the upload's channel, if another, to close it (it stores what it received, stages the
     * partial part and lets go of the upload), and waits until it has, for at most {@link #HANDOVER_WAIT}: the new
     * channel then starts from everything the old one received, and the client re-sends only what was in flight.
     * Past the wait (that node is gone, or Redis is), the claim goes ahead: a stale writer can never change what the
     * new one stores (docs/architecture.md, "One writer").
     */
    private Mono<Void> handOver(UploadRecord u) {
        String holder = u.writerNode();
        if (holder == null || holder.equals(nodes.nodeId())) {
            return Mono.empty();
        }
        nodes.send(holder, new UploadCommand(Kind.RELEASE, u.id(), 0, null));
        return Flux.interval(Duration.ZERO, HANDOVER_POLL)
                .onBackpressureDrop()
                .concatMap(tick -> repo.find(u.id()), 1)
                .filter(latest -> latest.writerNode() == null || !latest.writerNode().equals(holder)
                        || !latest.state().isOpen())
                .next()
                .timeout(HANDOVER_WAIT, Mono.fromRunnable(() -> log.info("Upload {}: node {} did not hand it over"
                        + " within {}; claiming it anyway", u.id(), holder, HANDOVER_WAIT)))
                .onErrorResume(e -> Mono.empty())
                .then();
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
                .doOnNext(u -> control(u, new UploadCommand(Kind.PAUSE, id, 0, null)))
                .map(UploadViews::info);
    }

    /** Resumes an upload: its open write channel is granted credit again; the client needs no new request. */
    public Mono<UploadInfo> resume(String ownerId, String id) {
        return changeState(ownerId, id, UploadState.ACTIVE, "resumed")
                .doOnNext(u -> control(u, new UploadCommand(Kind.RESUME, id, 0, null)))
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
                    control(u, new UploadCommand(Kind.LIMIT, id, rate, null));
                    return UploadViews.info(u);
                });
    }

    /**
     * Applies a verb to the upload's write channel: here if it is open on this node, otherwise on the node that
     * claimed it last (through the node bus, best effort: {@link #reconcile} covers a lost pause, resume or end).
     */
    private void control(UploadRecord u, UploadCommand command) {
        if (!apply(command) && u.writerNode() != null && !u.writerNode().equals(nodes.nodeId())) {
            nodes.send(u.writerNode(), command);
        }
    }

    /** Applies a command to the channel open on this node, if any; returns whether there was one. */
    private boolean apply(UploadCommand command) {
        String id = command.uploadId();
        Optional<UploadSession> session = sessions.get(id);
        session.ifPresent(s -> {
            s.controlled(System.nanoTime());
            switch (command.kind()) {
                case PAUSE -> s.pause();
                case RESUME -> s.resume();
                case LIMIT -> s.limit(command.limit());
                case END -> s.terminate(ended(id, command.reason()));
                case TELEMETRY -> publishSamples(id, Duration.ofMillis(Math.max(100, command.limit())));
                case RELEASE -> s.takeOver();
            }
        });
        return session.isPresent();
    }

    /**
     * Carries out the commands other nodes send to this one, until disposed. A command for a channel that is not
     * here (it closed meanwhile) is dropped: the next channel reads the upload's state when it opens.
     */
    public Disposable receiveCommands() {
        return nodes.commands()
                .doOnNext(command -> log.debug("Upload {}: {} from another node", command.uploadId(), command.kind()))
                .subscribe(this::apply, e -> log.warn("The node bus failed; verbs from other nodes arrive through"
                        + " the database until the service restarts", e));
    }

    /**
     * Re-reads the state of every upload with a channel on this node and applies it: a pause, resume or end
     * decided on another node takes effect here within one interval even if its command was lost (the node bus is
     * at most once, and may be down).
     */
    public Mono<Void> reconcile() {
        if (sessions.size() == 0) {
            return Mono.empty();
        }
        List<String> ids = sessions.all().stream().map(UploadSession::uploadId).toList();
        return Mono.defer(() -> {
            long readStarted = System.nanoTime();
            return repo.findAll(ids)
                    .doOnNext(u -> sessions.get(u.id())
                            // A verb applied after this read began is newer than what the read returns: keep it.
                            .filter(s -> s.lastControlled() < readStarted)
                            .ifPresent(s -> reapply(s, u)))
                    .then();
        });
    }

    /** Applies the state and rate cap the database holds for {@code u} to its channel here. */
    private static void reapply(UploadSession s, UploadRecord u) {
        if (u.state().isOpen()) {
            s.limit(u.rateLimit());
        }
        switch (u.state()) {
            case PAUSED -> s.pause();
            case ACTIVE -> s.resume();
            case COMPLETED -> { }
            default -> s.terminate(ended(u.id(), u.state().name()));
        }
    }

    private static TransferException ended(String id, String state) {
        String verb = state == null ? "ended" : state.toLowerCase(java.util.Locale.ROOT);
        return new TransferException(ErrorCode.CANCELLED, "Upload " + id + " was " + verb + ".");
    }

    /**
     * Samples of the upload's flow control every {@code interval} until cancelled: from its open channel on this
     * node, or from the database (durable offset and state only) when there is none.
     */
    public Flux<UploadTelemetry> telemetry(String ownerId, String id, Duration interval, Clock clock) {
        // A channel open here proves ownership without the database, so samples keep coming during its outages.
        if (sessions.get(id).filter(session -> session.ownerId().equals(ownerId)).isPresent()) {
            return samples(id, interval, clock);
        }
        return owned(ownerId, id).flatMapMany(u -> u.state().isOpen() && u.writerNode() != null
                && !u.writerNode().equals(nodes.nodeId()) ? remoteSamples(u, interval, clock)
                : samples(id, interval, clock));
    }

    /**
     * The samples the node holding the upload's channel publishes, asked for again every half lease; if none come
     * (no channel there any more, or no Redis), the database's view instead.
     */
    private Flux<UploadTelemetry> remoteSamples(UploadRecord u, Duration interval, Clock clock) {
        UploadCommand ask = new UploadCommand(Kind.TELEMETRY, u.id(), interval.toMillis(), null);
        Flux<UploadTelemetry> asking = Flux.interval(Duration.ZERO, TELEMETRY_LEASE.dividedBy(2))
                .onBackpressureDrop()
                .doOnNext(tick -> nodes.send(u.writerNode(), ask))
                .flatMap(tick -> Mono.empty());
        return Flux.merge(nodes.telemetry(u.id()), asking)
                .timeout(interval.multipliedBy(3).plusSeconds(2), samples(u.id(), interval, clock));
    }

    /** Samples of this node's channel for the node that asked, until the lease it renews runs out. */
    private void publishSamples(String id, Duration interval) {
        long until = System.nanoTime() + TELEMETRY_LEASE.toNanos();
        if (telemetryLeases.put(id, until) != null) {
            return; // a sampler runs already: it goes on until the new end of the lease
        }
        samples(id, interval, Clock.systemUTC())
                .takeWhile(sample -> sample.channelOpen()
                        && System.nanoTime() < telemetryLeases.getOrDefault(id, 0L))
                .doFinally(signal -> telemetryLeases.remove(id))
                .subscribe(nodes::publishTelemetry, e -> log.debug("Upload {}: telemetry stopped", id, e));
    }

    private Flux<UploadTelemetry> samples(String id, Duration interval, Clock clock) {
        return Flux.interval(Duration.ZERO, interval)
                .onBackpressureDrop()
                .concatMap(tick -> sessions.get(id).map(UploadSession::snapshot)
                        .orElseGet(() -> repo.find(id).map(u -> new SessionSnapshot(u.state(), false, u.size(),
                                u.durableOffset(), u.durableOffset(), 0, 0, 0, 0, 0, 0,
                                u.rateLimit()))), 1)
                .scan(new Sample(null, 0, 0), (previous, snapshot) -> previous.next(snapshot, System.nanoTime()))
                .skip(1)
                .map(sample -> sample.toWire(clock, id));
    }

    /** A snapshot with the receive rate since the previous one. */
    private record Sample(SessionSnapshot snapshot, long nanos, long bytesPerSecond) {

        Sample next(SessionSnapshot next, long now) {
            long rate = snapshot == null || now == nanos ? 0
                    : Math.max(0, (next.received() - snapshot.received()) * 1_000_000_000L / (now - nanos));
            return new Sample(next, now, rate);
        }

        UploadTelemetry toWire(Clock clock, String id) {
            SessionSnapshot s = snapshot;
            return new UploadTelemetry(clock.instant(), id, s.state(), s.open(), s.size(), s.received(), s.offset(),
                    s.creditsGranted(), s.outstandingCredits(), s.inFlightBytes(), s.bufferedBytes(),
                    s.bufferCapacity(), s.windowBytes(), bytesPerSecond, s.limit() == 0 ? null : s.limit());
        }
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
            if (u.writerNode() != null && !u.writerNode().equals(nodes.nodeId())) {
                nodes.send(u.writerNode(), new UploadCommand(Kind.END, u.id(), 0, u.state().name()));
            }
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
