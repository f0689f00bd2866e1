package dev.relay.streaming.upload;

import dev.relay.api.ErrorCode;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.NodeBus;
import dev.relay.streaming.port.NodeBus.UploadCommand;
import dev.relay.streaming.port.NodeBus.UploadCommand.Kind;
import dev.relay.streaming.port.UploadRecord;
import dev.relay.streaming.port.UploadRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The verbs on uploads between the nodes of a cluster: a verb reaches the channel that holds the upload, here or on
 * the node that claimed it ({@link NodeBus}); commands from other nodes are carried out here; the uploads held here
 * are re-read from the database now and then, which carries a pause, resume, cap or end whose command was lost; and
 * a new channel has the node that holds the upload hand it over first. On one node, only the first of these does
 * anything. See docs/architecture.md, "Cluster".
 */
final class NodeControl {

    private static final Logger log = LoggerFactory.getLogger(NodeControl.class);
    /** How long a new channel waits for another node to hand the upload over, and how often it looks. */
    static final Duration HANDOVER_WAIT = Duration.ofSeconds(2);
    private static final Duration HANDOVER_POLL = Duration.ofMillis(50);

    private final NodeBus nodes;
    private final UploadRepository repo;
    private final SessionRegistry sessions;
    private final SessionTelemetry telemetry;
    /** When a verb was last applied to the channel of each upload here ({@link System#nanoTime}); see reconcile. */
    private final Map<String, Long> controlled = new ConcurrentHashMap<>();

    NodeControl(NodeBus nodes, UploadRepository repo, SessionRegistry sessions, SessionTelemetry telemetry) {
        this.nodes = nodes;
        this.repo = repo;
        this.sessions = sessions;
        this.telemetry = telemetry;
    }

    String nodeId() {
        return nodes.nodeId();
    }

    /**
     * Applies a verb to the upload's write channel: here if it is open on this node, otherwise on the node that
     * claimed it last (through the node bus, best effort: {@link #reconcile} covers a lost pause, resume or end).
     */
    void control(UploadRecord u, UploadCommand command) {
        if (!apply(command) && u.writerNode() != null && !u.writerNode().equals(nodes.nodeId())) {
            nodes.send(u.writerNode(), command);
        }
    }

    /** Applies a command to the channel open on this node, if any; returns whether there was one. */
    private boolean apply(UploadCommand command) {
        String id = command.uploadId();
        Optional<UploadSession> session = sessions.get(id);
        session.ifPresent(s -> {
            controlled.put(id, System.nanoTime());
            switch (command.kind()) {
                case PAUSE -> s.pause();
                case RESUME -> s.resume();
                case LIMIT -> s.limit(command.limit());
                case END -> s.terminate(ended(id, command.reason()));
                case TELEMETRY -> telemetry.publish(id, Duration.ofMillis(Math.max(100, command.limit())));
                case RELEASE -> s.takeOver();
            }
        });
        return session.isPresent();
    }

    /**
     * Carries out the commands other nodes send to this one, until disposed. A command for a channel that is not
     * here (it closed meanwhile) is dropped: the next channel reads the upload's state when it opens.
     */
    Disposable receiveCommands() {
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
    Mono<Void> reconcile() {
        List<String> ids = sessions.all().stream().map(UploadSession::uploadId).toList();
        controlled.keySet().retainAll(ids);
        if (ids.isEmpty()) {
            return Mono.empty();
        }
        return Mono.defer(() -> {
            long readStarted = System.nanoTime();
            return repo.findAll(ids)
                    .doOnNext(u -> sessions.get(u.id())
                            // A verb applied after this read began is newer than what the read returns: keep it.
                            .filter(s -> controlled.getOrDefault(u.id(), Long.MIN_VALUE) < readStarted)
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

    static TransferException ended(String id, String state) {
        String verb = state == null ? "ended" : state.toLowerCase(java.util.Locale.ROOT);
        return new TransferException(ErrorCode.CANCELLED, "Upload " + id + " was " + verb + ".");
    }

    /**
     * Asks the node holding the upload's channel, if another, to close it (it stores what it received, stages the
     * partial part and lets go of the upload), and waits until it has, for at most {@link #HANDOVER_WAIT}: the new
     * channel then starts from everything the old one received, and the client re-sends only what was in flight.
     * Past the wait (that node is gone, or Redis is), the claim goes ahead: a stale writer can never change what the
     * new one stores (docs/architecture.md, "One writer").
     */
    Mono<Void> handOver(UploadRecord u) {
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
}
