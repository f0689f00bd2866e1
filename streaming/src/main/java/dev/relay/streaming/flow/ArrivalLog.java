package dev.relay.streaming.flow;

/**
 * The recent arrivals of one upload (time and running byte count), for rates over a span that ends now: what a
 * window probe compares before and after it changed the window. A ring of the last {@link #CAPACITY} chunks; a span
 * that reaches further back is measured from the oldest one kept. Not thread-safe (one session's executor owns it).
 */
final class ArrivalLog {

    static final int CAPACITY = 256;

    // Allocated with the first arrival and dropped when the flow stops: a paused upload keeps a few hundred bytes.
    private long[] times;
    private long[] totals;
    private int next;
    private int count;
    private long total;
    private long span;

    void add(int bytes, long now) {
        if (times == null) {
            times = new long[CAPACITY];
            totals = new long[CAPACITY];
        }
        total += bytes;
        times[next] = now;
        totals[next] = total;
        next = (next + 1) % CAPACITY;
        count = Math.min(count + 1, CAPACITY);
    }

    /** Forgets every arrival (the flow stopped: a rate must not span the stop) and lets go of the memory. */
    void clear() {
        count = 0;
        next = 0;
        times = null;
        totals = null;
    }

    /**
     * Bytes per second over the arrivals since {@code since}, reaching further back to span at least
     * {@code minArrivals} of them (a few chunks say little about a client whose turnaround varies), or -1 while
     * fewer than two were kept. {@link #spanNanos} then says how long a span it measured.
     */
    double rateSince(long since, int minArrivals) {
        if (count < 2) {
            return -1;
        }
        int newest = (next - 1 + CAPACITY) % CAPACITY;
        int from = newest;
        for (int i = 1; i < count; i++) {
            from = (newest - i + CAPACITY) % CAPACITY;
            if (times[from] <= since && i >= minArrivals) {
                break;
            }
        }
        span = times[newest] - times[from];
        return span <= 0 ? -1 : (totals[newest] - totals[from]) * 1e9 / span;
    }

    /** The span the last {@link #rateSince} measured over. */
    long spanNanos() {
        return span;
    }
}
