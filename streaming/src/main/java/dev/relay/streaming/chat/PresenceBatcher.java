package dev.relay.streaming.chat;

import dev.relay.api.wire.UserInfo;
import dev.relay.streaming.port.AccountRepository.Account;
import dev.relay.streaming.port.EventBus;
import dev.relay.streaming.port.EventBus.Envelope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * This node's presence changes (a user's first connection anywhere, their last one closing, a dead node's users),
 * collected for a short window from the first change, coalesced per user and published as one bus envelope per
 * window ({@link Envelope#presence}). A mass reconnect thus costs a few envelopes instead of one per user, and a
 * user who left and came back within the window (or the reverse) is announced not at all: only a final state that
 * differs from the one before the window is news. Windows are published in order, one at a time, so a later state
 * never overtakes an earlier one on this node.
 */
public final class PresenceBatcher implements Disposable, AutoCloseable {

    public static final Duration DEFAULT_WINDOW = Duration.ofMillis(200);
    /** Changes per envelope: a window larger than this (thousands reconnecting) goes out as several. */
    static final int MAX_ENVELOPE = 1000;
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);

    private static final Logger log = LoggerFactory.getLogger(PresenceBatcher.class);

    private final Function<Collection<String>, Flux<Account>> accounts;
    private final EventBus bus;
    private final Duration window;
    private final Scheduler timer;
    private final Sinks.Many<Map<String, Change>> windows = Sinks.many().unicast().onBackpressureBuffer();
    private final Disposable publishing;
    /** Windows handed to the publishing pipeline and not yet published. */
    private final AtomicInteger unpublished = new AtomicInteger();
    // Guarded by this.
    private Map<String, Change> pending = new LinkedHashMap<>();
    private boolean armed;

    /** @param accounts looks up the changed users' accounts (one query per envelope), for their wire info */
    public PresenceBatcher(Function<Collection<String>, Flux<Account>> accounts, EventBus bus, Duration window) {
        this(accounts, bus, window, Schedulers.parallel());
    }

    PresenceBatcher(Function<Collection<String>, Flux<Account>> accounts, EventBus bus, Duration window,
                    Scheduler timer) {
        if (window.isNegative()) {
            throw new IllegalArgumentException("The presence window must not be negative: " + window);
        }
        this.accounts = accounts;
        this.bus = bus;
        this.window = window;
        this.timer = timer;
        this.publishing = windows.asFlux().concatMap(this::publish, 1).subscribe();
    }

    /** The user went online (their first connection anywhere) or offline (their last one closed). */
    public void changed(String userId, boolean online) {
        synchronized (this) {
            Change change = pending.get(userId);
            if (change == null) {
                // Connect and disconnect alternate per user, so the state before this window is the opposite.
                pending.put(userId, new Change(!online, online));
            } else {
                change.now = online;
            }
            if (armed) {
                return;
            }
            armed = true;
        }
        Mono.delay(window, timer).subscribe(tick -> flush());
    }

    /** Ends the current window now (its timer's job; tests call it too). */
    void flush() {
        synchronized (this) {
            Map<String, Change> batch = pending;
            pending = new LinkedHashMap<>();
            armed = false;
            if (!batch.isEmpty()) {
                unpublished.incrementAndGet();
                // Inside the lock: emissions into the sink must not overlap.
                windows.tryEmitNext(batch);
            }
        }
    }

    private Mono<Void> publish(Map<String, Change> batch) {
        Map<String, Boolean> changed = new LinkedHashMap<>();
        batch.forEach((user, change) -> {
            if (change.now != change.before) {
                changed.put(user, change.now);
            }
        });
        List<String> ids = new ArrayList<>(changed.keySet());
        return Flux.range(0, (ids.size() + MAX_ENVELOPE - 1) / MAX_ENVELOPE)
                .map(i -> ids.subList(i * MAX_ENVELOPE, Math.min(ids.size(), (i + 1) * MAX_ENVELOPE)))
                .concatMap(chunk -> Flux.defer(() -> accounts.apply(chunk)).collectList()
                        // A database hiccup should not lose the news; a longer outage does (clients re-read on
                        // reconnect, and presence.watch answers the current state).
                        .retryWhen(Retry.backoff(3, Duration.ofMillis(200)))
                        .doOnNext(found -> {
                            List<UserInfo> infos = found.stream()
                                    .map(a -> UserDirectory.info(a, changed.get(a.id()))).toList();
                            if (!infos.isEmpty()) {
                                bus.publish(Envelope.presence(infos));
                            }
                        })
                        .onErrorResume(e -> {
                            log.warn("{} presence changes were not announced: {}", chunk.size(), e.toString());
                            return Mono.empty();
                        }))
                .doFinally(signal -> unpublished.decrementAndGet())
                .then();
    }

    /**
     * The node stops: the current window goes out at once, and what is being published gets a moment to finish
     * (other nodes' users hear of this node's users going offline; a cluster's reaping would be later).
     */
    @Override
    public void close() {
        flush();
        long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
        while (unpublished.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        dispose();
    }

    @Override
    public void dispose() {
        publishing.dispose();
    }

    @Override
    public boolean isDisposed() {
        return publishing.isDisposed();
    }

    private static final class Change {
        final boolean before;
        boolean now;

        Change(boolean before, boolean now) {
            this.before = before;
            this.now = now;
        }
    }
}
