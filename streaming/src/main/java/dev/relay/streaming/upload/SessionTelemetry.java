package dev.relay.streaming.upload;

import dev.relay.api.wire.UploadTelemetry;
import dev.relay.streaming.port.NodeBus;
import dev.relay.streaming.port.NodeBus.UploadCommand;
import dev.relay.streaming.port.NodeBus.UploadCommand.Kind;
import dev.relay.streaming.port.UploadRecord;
import dev.relay.streaming.port.UploadRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Samples of an upload's flow control ({@code uploads.{id}.telemetry}): from its channel on this node, from the
 * node that holds it (which publishes them while the asking node renews a lease), or from the database.
 */
final class SessionTelemetry {

    private static final Logger log = LoggerFactory.getLogger(SessionTelemetry.class);
    /** How long a holder publishes an upload's samples after the watching node last asked. */
    static final Duration TELEMETRY_LEASE = Duration.ofSeconds(10);

    private final NodeBus nodes;
    private final UploadRepository repo;
    private final SessionRegistry sessions;
    /** Uploads whose channel here publishes samples for another node, and until when ({@link System#nanoTime}). */
    private final Map<String, Long> leases = new ConcurrentHashMap<>();
    /** The one sampler of each watched upload, which every watcher on this node shares. */
    private final Map<String, Flux<UploadTelemetry>> watched = new ConcurrentHashMap<>();

    SessionTelemetry(NodeBus nodes, UploadRepository repo, SessionRegistry sessions) {
        this.nodes = nodes;
        this.repo = repo;
        this.sessions = sessions;
    }

    /**
     * {@code sampler}'s samples, shared by every watcher of the same {@code key} on this node: a thousand watchers
     * of one upload cost one sampler (one database read per interval, not a thousand). A watcher that joins gets the
     * latest sample at once; the sampler stops with its last watcher.
     */
    Flux<UploadTelemetry> shared(String key, Supplier<Flux<UploadTelemetry>> sampler) {
        return Flux.defer(() -> watched.computeIfAbsent(key, k -> {
            AtomicReference<Flux<UploadTelemetry>> self = new AtomicReference<>();
            Flux<UploadTelemetry> flux = sampler.get()
                    .doFinally(signal -> watched.remove(k, self.get()))
                    .replay(1)
                    .refCount();
            self.set(flux);
            return flux;
        }));
    }

    /**
     * The samples the node holding the upload's channel publishes, asked for again every half lease; if none come
     * (no channel there any more, or no Redis), the database's view instead.
     */
    Flux<UploadTelemetry> remote(UploadRecord u, Duration interval, Clock clock) {
        UploadCommand ask = new UploadCommand(Kind.TELEMETRY, u.id(), interval.toMillis(), null);
        Flux<UploadTelemetry> asking = Flux.interval(Duration.ZERO, TELEMETRY_LEASE.dividedBy(2))
                .onBackpressureDrop()
                .doOnNext(tick -> nodes.send(u.writerNode(), ask))
                .flatMap(tick -> Mono.empty());
        return Flux.merge(nodes.telemetry(u.id()), asking)
                .timeout(interval.multipliedBy(3).plusSeconds(2), samples(u.id(), interval, clock));
    }

    /** Samples of this node's channel for the node that asked, until the lease it renews runs out. */
    void publish(String id, Duration interval) {
        long until = System.nanoTime() + TELEMETRY_LEASE.toNanos();
        if (leases.put(id, until) != null) {
            return; // a sampler runs already: it goes on until the new end of the lease
        }
        samples(id, interval, Clock.systemUTC())
                .takeWhile(sample -> sample.channelOpen()
                        && System.nanoTime() < leases.getOrDefault(id, 0L))
                .doFinally(signal -> leases.remove(id))
                .subscribe(nodes::publishTelemetry, e -> log.debug("Upload {}: telemetry stopped", id, e));
    }

    Flux<UploadTelemetry> samples(String id, Duration interval, Clock clock) {
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
}
