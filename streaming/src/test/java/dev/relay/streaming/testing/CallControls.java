package dev.relay.streaming.testing;

import dev.relay.streaming.port.StorageUnavailableException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * The test controls of an in-memory fixture ({@code controls()}): an outage, queued failures, holds and call counts,
 * per kind of call ({@code O}). A call is counted when it is subscribed to, waits while its kind is held, then fails if storage
 * is unavailable or a failure is queued for its kind, and only then takes effect (so a held call takes effect on
 * the thread that releases it, before {@link #release} returns).
 */
public final class CallControls<O extends Enum<O>> {

    private final String storage;
    private final Scheduler completions;
    private final Map<O, Integer> calls;
    private final Map<O, Integer> held;
    private final Map<O, Queue<Throwable>> failures;
    private final Map<O, Sinks.Empty<Void>> holds;
    private volatile boolean unavailable;

    CallControls(Class<O> kinds, String storage, Scheduler completions) {
        this.storage = storage;
        this.completions = completions;
        this.calls = new EnumMap<>(kinds);
        this.held = new EnumMap<>(kinds);
        this.failures = new EnumMap<>(kinds);
        this.holds = new EnumMap<>(kinds);
    }

    /** A call that yields one value (or none if {@code effect} returns null), delivered on the completion thread. */
    <T> Mono<T> mono(O op, Callable<T> effect) {
        return Mono.defer(() -> {
            count(op);
            return admit(op).then(Mono.defer(() -> {
                Throwable failure = failure(op);
                return failure != null ? Mono.<T>error(failure) : Mono.fromCallable(effect);
            }));
        }).publishOn(completions);
    }

    /** A call that yields a stream; {@code effect} decides on which threads and at what pace it is delivered. */
    <T> Flux<T> flux(O op, Supplier<Flux<T>> effect) {
        return Flux.defer(() -> {
            count(op);
            return admit(op).thenMany(Flux.defer(() -> {
                Throwable failure = failure(op);
                return failure != null ? Flux.<T>error(failure).publishOn(completions) : effect.get();
            }));
        });
    }

    Scheduler completions() {
        return completions;
    }

    synchronized void count(O op) {
        calls.merge(op, 1, Integer::sum);
    }

    /** Completes at once, or when {@code op} is released if it is held. */
    Mono<Void> admit(O op) {
        Sinks.Empty<Void> gate;
        synchronized (this) {
            gate = holds.get(op);
            if (gate == null) {
                return Mono.empty();
            }
            held.merge(op, 1, Integer::sum);
            notifyAll();
        }
        return gate.asMono().doFinally(signal -> {
            synchronized (this) {
                held.merge(op, -1, Integer::sum);
                notifyAll();
            }
        });
    }

    /** What this call must fail with: the outage, or the failure queued for its kind; null if nothing. */
    Throwable failure(O op) {
        if (unavailable) {
            return outage();
        }
        synchronized (this) {
            Queue<Throwable> queued = failures.get(op);
            return queued == null ? null : queued.poll();
        }
    }

    StorageUnavailableException outage() {
        return new StorageUnavailableException(storage + " is unavailable (simulated outage)", null);
    }

    boolean isUnavailable() {
        return unavailable;
    }

    /** While true, every call fails with {@link StorageUnavailableException}, as during an outage. */
    public void unavailable(boolean down) {
        unavailable = down;
    }

    /** The next call of this kind fails with {@code error} (several queue up, one per call). */
    public synchronized void failNext(O op, Throwable error) {
        failures.computeIfAbsent(op, k -> new ArrayDeque<>()).add(error);
    }

    /** Calls of this kind wait, without taking effect, until {@link #release}d. */
    public synchronized void hold(O op) {
        holds.computeIfAbsent(op, k -> Sinks.empty());
    }

    /** Lets the held calls of this kind go on; they take effect before this returns. Later calls are not held. */
    public void release(O op) {
        Sinks.Empty<Void> gate;
        synchronized (this) {
            gate = holds.remove(op);
        }
        if (gate != null) {
            // Outside the lock: the held calls take effect on this thread, now.
            gate.tryEmitEmpty();
        }
    }

    /** How many calls of this kind were made (each subscription counts, so retries do too). */
    public synchronized int calls(O op) {
        return calls.getOrDefault(op, 0);
    }

    /** How many calls of this kind are waiting in a {@link #hold}. */
    public synchronized int held(O op) {
        return held.getOrDefault(op, 0);
    }

    /** Waits until at least {@code count} calls of this kind are held; throws an AssertionError after timeout. */
    public synchronized void awaitHeld(O op, int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (held(op) < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("Expected " + count + " held " + op + " calls within " + timeout + ", saw "
                        + held(op));
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }
}
