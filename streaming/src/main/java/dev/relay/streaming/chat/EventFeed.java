package dev.relay.streaming.chat;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.Event;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.ChatRepository;
import dev.relay.streaming.port.EventBus;
import dev.relay.streaming.port.EventBus.Envelope;
import dev.relay.streaming.support.RequestBatcher;
import dev.relay.streaming.support.SerialExecutor;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.retry.Retry;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A user's {@code events} stream: durable events in sequence order without gaps or duplicates, live-only events as
 * they come. Live delivery subscribes to the bus first, then the log fills in: whatever was missed since the
 * client's {@code since}, and any gap the bus leaves (events of concurrent transactions may be published out of
 * order, but a higher sequence number is committed only after every lower one, so the log always has them).
 */
public final class EventFeed {

    private static final int PAGE = 500;
    static final int POSITION_BATCH = 1000;
    /** Events waiting for a slow client; past this the stream fails and the client replays with {@code since}. */
    private static final int CLIENT_BUFFER = 10_000;

    private final ChatRepository chat;
    private final EventBus bus;
    private final Clock clock;
    private final Duration positionCheck;
    private final PresenceInterest interest;
    /** The streams whose position is checked, by user (only with a position check). */
    private final Map<String, Set<Stream>> watched = new ConcurrentHashMap<>();
    private Disposable watcher;
    /**
     * What a stream reads as it opens, for the streams opening meanwhile in one query (a mass reconnect opens
     * thousands at once): where each log starts and ends, whose presence each follows (fewer users in one query,
     * as each brings up to {@link PresenceInterest#LOADED_PEERS} rows).
     */
    private final RequestBatcher<String, ChatRepository.EventRange> ranges;
    private final RequestBatcher<String, List<String>> peers;

    public EventFeed(ChatRepository chat, EventBus bus, Clock clock, PresenceInterest interest) {
        this(chat, bus, clock, null, interest);
    }

    /**
     * @param positionCheck how often the streams compare their positions with the log (null: never), for a bus that
     *                      may lose an event: a lost event shows as a gap only when a later one arrives. One query
     *                      per {@link #POSITION_BATCH} users with a stream here, not one per stream.
     * @param interest      the node's index of who follows whose presence: each stream registers there
     */
    public EventFeed(ChatRepository chat, EventBus bus, Clock clock, Duration positionCheck,
                     PresenceInterest interest) {
        this.ranges = new RequestBatcher<>(users -> chat.eventRanges(users).map(found -> users.stream()
                .map(u -> found.getOrDefault(u, new ChatRepository.EventRange(0, 0))).toList()), 2, 500);
        this.peers = new RequestBatcher<>(users -> chat.peerIds(users, PresenceInterest.LOADED_PEERS)
                .map(found -> users.stream().map(u -> found.getOrDefault(u, List.of())).toList()), 2, 50);
        this.chat = chat;
        this.bus = bus;
        this.clock = clock;
        this.positionCheck = positionCheck;
        this.interest = interest;
    }

    /**
     * @param connection identifies the stream's connection, whose {@code presence.watch} set applies to it (null:
     *                   none); PRESENCE comes only for those and the user's conversation peers
     */
    public Flux<Event> stream(String userId, Long since, Object connection) {
        return Flux.defer(() -> new Stream(userId, connection).run(since));
    }

    private void watch(Stream stream) {
        if (positionCheck == null) {
            return;
        }
        watched.computeIfAbsent(stream.userId, k -> ConcurrentHashMap.newKeySet()).add(stream);
        synchronized (watched) {
            if (watcher == null) {
                // Periodically, and at once when the bus subscribed again after a lost connection.
                watcher = Flux.merge(Flux.interval(positionCheck, positionCheck), bus.resubscribed())
                        .onBackpressureDrop()
                        .concatMap(tick -> checkPositions(), 0)
                        .subscribe();
            }
        }
    }

    private void unwatch(Stream stream) {
        if (positionCheck == null) {
            return;
        }
        watched.computeIfPresent(stream.userId, (k, streams) -> {
            streams.remove(stream);
            return streams.isEmpty() ? null : streams;
        });
        synchronized (watched) {
            if (watched.isEmpty() && watcher != null) {
                watcher.dispose();
                watcher = null;
            }
        }
    }

    /** One query per batch of users with a stream here; each stream behind the log catches up. */
    private Mono<Void> checkPositions() {
        List<String> users = List.copyOf(watched.keySet());
        return Flux.range(0, (users.size() + POSITION_BATCH - 1) / POSITION_BATCH)
                .map(i -> users.subList(i * POSITION_BATCH, Math.min(users.size(), (i + 1) * POSITION_BATCH)))
                .concatMap(batch -> chat.lastEventIds(batch).onErrorResume(e -> Mono.empty()))
                .doOnNext(positions -> positions.forEach((user, logLast) -> watched.getOrDefault(user, Set.of())
                        .forEach(stream -> stream.serial.execute(() -> stream.positionIs(logLast)))))
                .then();
    }

    private final class Stream {
        private final String userId;
        private final SerialExecutor serial = new SerialExecutor();
        private final Sinks.Many<Event> out = Sinks.many().unicast().onBackpressureBuffer();
        private final PresenceInterest.Listener presence;
        // Touched only by tasks of `serial`.
        private long last;
        private boolean filling = true;
        private final List<Event> held = new ArrayList<>();
        private boolean done;
        private int buffered;

        Stream(String userId, Object connection) {
            this.userId = userId;
            this.presence = interest.open(connection, userId, user -> serial.execute(() -> emit(new Event(null,
                    Event.Type.PRESENCE, clock.instant(), null, null, user, null))), true);
        }

        Flux<Event> run(Long since) {
            // One bounded query (shared with the streams opening meanwhile), retried (a reconnect storm can exhaust
            // the pool for a while); in the end a failure costs the peers' presence on this stream, not the stream.
            // Changes meanwhile are kept (peersLoaded).
            peers.submit(userId)
                    .retryWhen(Retry.backoff(3, Duration.ofMillis(500)))
                    .onErrorReturn(List.of())
                    .subscribe(found -> interest.peersLoaded(presence, found));
            Disposable live = bus.subscribe(userId)
                    .filter(e -> e.event() != null)
                    .map(Envelope::event)
                    .subscribe(e -> serial.execute(() -> onLive(e)),
                            error -> serial.execute(() -> fail(error)));
            ranges.submit(userId).subscribe(range -> serial.execute(() -> {
                if (since == null || since > range.last()) {
                    if (since != null) {
                        emit(new Event(null, Event.Type.RESYNC, clock.instant(), null, null, null, null));
                    }
                    last = range.last();
                    endFill();
                } else {
                    if (range.first() > since + 1) {
                        emit(new Event(null, Event.Type.RESYNC, clock.instant(), null, null, null, null));
                    }
                    last = since;
                    fill();
                }
            }), error -> serial.execute(() -> fail(error)));
            watch(this);
            return out.asFlux()
                    .doOnRequest(n -> serial.execute(() -> buffered = 0))
                    .doFinally(signal -> {
                        interest.close(presence);
                        unwatch(this);
                        live.dispose();
                        serial.execute(() -> done = true);
                    });
        }

        private void onLive(Event e) {
            if (e.id() == null) {
                emit(e);
            } else if (filling) {
                held.add(e);
            } else if (e.id() == last + 1) {
                last = e.id();
                emit(e);
            } else if (e.id() > last + 1) {
                held.add(e);
                filling = true;
                fill();
            }
        }

        /** The log's last sequence number is {@code logLast}: reads what the stream did not deliver. */
        private void positionIs(long logLast) {
            if (!filling && !done && logLast > last) {
                filling = true;
                fill();
            }
        }

        /** Reads the log after {@code last}, page by page, then releases what the bus delivered meanwhile. */
        private void fill() {
            chat.eventsSince(userId, last, PAGE).map(EventLog::decode).collectList()
                    .subscribe(page -> serial.execute(() -> {
                        for (Event e : page) {
                            if (e.id() > last) {
                                last = e.id();
                                emit(e);
                            }
                        }
                        if (page.size() == PAGE) {
                            fill();
                        } else {
                            endFill();
                        }
                    }), error -> serial.execute(() -> fail(error)));
        }

        private void endFill() {
            filling = false;
            held.sort(Comparator.comparingLong(Event::id));
            List<Event> pending = new ArrayList<>(held);
            held.clear();
            for (Event e : pending) {
                if (filling) {
                    held.add(e);
                } else {
                    onLive(e);
                }
            }
        }

        private void emit(Event e) {
            if (done) {
                return;
            }
            if (e.type() == Event.Type.MESSAGE && e.message() != null) {
                // A new conversation's peer: follow their presence from now on.
                String from = e.message().from();
                interest.addPeer(presence, userId.equals(from) ? e.message().to() : from);
            }
            if (++buffered > CLIENT_BUFFER) {
                fail(new TransferException(ErrorCode.INVALID_STATE, "This event stream's client stopped reading;"
                        + " open events again with {\"since\": <last event id>} to catch up."));
                return;
            }
            out.tryEmitNext(e);
        }

        private void fail(Throwable error) {
            if (!done) {
                done = true;
                out.tryEmitError(error);
            }
        }
    }
}
