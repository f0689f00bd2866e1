package dev.relay.streaming.upload;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory a node's uploads may hold in part buffers, shared by all of its write channels. A channel claims what
 * its buffers will need before it grants credit that would make it allocate them ({@link PartMemory#reserve});
 * when the budget is spent, its credit waits (the client sees a pause, never an error) until another channel gives
 * memory back, and it is then asked to grant again. Without it, a thousand uploads opened at once each take a part's
 * worth of heap as their first bytes arrive, and the heap runs out before anything else does.
 *
 * <p>Thread-safe: channels on every serial executor take and give.
 */
public final class BufferBudget {

    private final long limit;
    private final AtomicLong used = new AtomicLong();
    private final AtomicLong waits = new AtomicLong();
    private final ConcurrentLinkedQueue<Runnable> waiting = new ConcurrentLinkedQueue<>();

    public BufferBudget(long limitBytes) {
        if (limitBytes <= 0) {
            throw new IllegalArgumentException("The buffer budget must be positive: " + limitBytes);
        }
        this.limit = limitBytes;
    }

    public static BufferBudget unlimited() {
        return new BufferBudget(Long.MAX_VALUE);
    }

    public long limit() {
        return limit;
    }

    /** Bytes claimed now (may exceed the limit by what a resumed part had to load: see {@link #force}). */
    public long used() {
        return used.get();
    }

    /** Times a channel's credit had to wait for memory. */
    public long waits() {
        return waits.get();
    }

    /** Channels whose credit waits for memory now. */
    public int waiting() {
        return waiting.size();
    }

    /** Claims {@code bytes} if the budget has them (or nothing at all is claimed). */
    boolean tryTake(long bytes) {
        long now;
        do {
            now = used.get();
            if (now + bytes > limit && now > 0) {
                return false; // with nothing claimed, even a part larger than the whole budget may go, alone
            }
        } while (!used.compareAndSet(now, now + bytes));
        return true;
    }

    /** Claims {@code bytes} whatever is left: for bytes a channel must hold to go on at all (a staged tail). */
    void force(long bytes) {
        used.addAndGet(bytes);
    }

    /** Gives {@code bytes} back; the channels waiting for memory are asked to grant again. */
    void give(long bytes) {
        if (bytes <= 0) {
            return;
        }
        used.addAndGet(-bytes);
        wakeAll();
    }

    /**
     * Runs {@code retry} once memory has been given back, or at once if {@code bytes} are free already (given
     * back between the channel's failed claim and now): a channel never waits for a release that already happened.
     */
    void whenFreed(long bytes, Runnable retry) {
        waits.incrementAndGet();
        waiting.add(retry);
        if (used.get() + bytes <= limit) {
            wakeAll();
        }
    }

    private void wakeAll() {
        if (waiting.isEmpty()) {
            return;
        }
        List<Runnable> woken = new ArrayList<>();
        for (Runnable r; (r = waiting.poll()) != null; ) {
            woken.add(r);
        }
        // Each retry only posts a task to its channel's executor: cheap, and no channel runs on this thread.
        woken.forEach(Runnable::run);
    }
}
