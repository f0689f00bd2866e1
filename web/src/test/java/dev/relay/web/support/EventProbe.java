package dev.relay.web.support;

import dev.relay.api.wire.Event;
import dev.relay.client.RelayClient;
import reactor.core.Disposable;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** Records what one connection's {@code events} stream delivers, for a test to wait on. */
public final class EventProbe implements AutoCloseable {

    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final Disposable subscription;
    private volatile Throwable error;
    private volatile boolean completed;

    private EventProbe(RelayClient client, Long since) {
        this.subscription = client.events(since).subscribe(events::add, e -> error = e, () -> completed = true);
    }

    public static EventProbe open(RelayClient client, Long since) {
        return new EventProbe(client, since);
    }

    public List<Event> events() {
        return List.copyOf(events);
    }

    public List<Event> of(Event.Type type) {
        return events.stream().filter(e -> e.type() == type).toList();
    }

    /** Waits until an event matches; fails the test with what was received if none does in time. */
    public Event await(Predicate<Event> condition, Duration timeout) {
        return awaitCount(condition, 1, timeout).get(0);
    }

    /** Waits until {@code count} events match. */
    public List<Event> awaitCount(Predicate<Event> condition, int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<Event> matching = events.stream().filter(condition).toList();
            if (matching.size() >= count) {
                return matching;
            }
            sleep();
        }
        throw new AssertionError("Fewer than " + count + " matching events within " + timeout + "; received "
                + events);
    }

    /** Waits until the stream ends (completes or fails); returns the error, if any. */
    public Optional<Throwable> awaitEnd(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (completed || error != null) {
                return Optional.ofNullable(error);
            }
            sleep();
        }
        throw new AssertionError("The event stream did not end within " + timeout);
    }

    /** The id of the last durable event received, or null. */
    public Long lastId() {
        Long last = null;
        for (Event e : events) {
            if (e.id() != null) {
                last = e.id();
            }
        }
        return last;
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        subscription.dispose();
    }
}
