package dev.relay.streaming.flow;

/**
 * Finds by trial how large a window a client needs when its round trips say little about it. A client that turns
 * each credit around in 5 to 30 ms (reading a file, an event loop, framing) looks queued to {@link AdaptiveWindow}'s
 * estimate, which takes the shortest round trip for the path's and every longer one for a queue, so its window stayed
 * at one chunk: one chunk per turnaround (simulated: 13 MB/s where 262 were possible). A probe grows the window and
 * keeps the growth only if the receive rate grew with it, by the square root of the window's growth (half of it on a
 * log scale): then the window was what limited the rate, whatever the turnaround. A growth that did not pay is undone
 * (the client, the link or the server was the limit: more credit would only wait somewhere), and probing rests for
 * {@link #HOLD_NANOS}. The first probes double the window; after one failed, they grow it by half.
 *
 * <p>A proven window is kept against the round-trip estimate (which would shrink it again) until the flow stops (a
 * pause: the client may be another when it resumes) or the rate falls below {@link #FORGET} of the rate it was
 * proven at: the client slowed, or S3 or the database fell behind.
 *
 * <p>Probes start only in an interval in which the window, not the room for bytes or a rate cap, limited the credit
 * granted; one whose verdict interval was limited by something else is abandoned. Not thread-safe.
 */
final class WindowProbe {

    /** How long probing rests after a probe that did not pay (a probe costs only credit in flight meanwhile). */
    static final long HOLD_NANOS = 250_000_000L;
    private static final double FORGET = 0.5;
    /** The rates compared span this many mean round trips (at least {@link AdaptiveWindow#MIN_INTERVAL_NANOS}). */
    private static final int SPAN_ROUND_TRIPS = 2;
    /** ... and at least this many chunks. */
    private static final int SPAN_CHUNKS = 8;

    private final long maxBytes;
    private final int chunkBytes;
    private final ArrivalLog arrivals = new ArrivalLog();
    /** The window before the probe under way, or 0 when none is. */
    private long from;
    private long to;
    private double rateBefore;
    private long verdictAt;
    private long span;
    private long holdUntil = Long.MIN_VALUE;
    private boolean failedOnce;
    private long proven;
    private double provenRate;
    /** When the window last grew, and what it was at the last interval. */
    private long windowSince = Long.MIN_VALUE;
    private long lastWindow = -1;

    WindowProbe(long maxBytes, int chunkBytes) {
        this.maxBytes = maxBytes;
        this.chunkBytes = chunkBytes;
    }

    void arrived(int bytes, long now) {
        arrivals.add(bytes, now);
    }

    /** The flow stopped: a probe under way cannot be judged and is undone; returns the window to go on with. */
    long idle(long window) {
        arrivals.clear();
        long result = from > 0 ? from : window;
        from = 0;
        proven = 0; // the client may have moved or changed meanwhile: learn it again
        return result;
    }

    /**
     * Once per interval, after the round-trip estimate set {@code window}: the window to use.
     *
     * @param meanRtt       the mean round trip of the interval, in nanoseconds
     * @param windowLimited whether the window, not the room for bytes or a rate cap, limited the credit granted
     * @param bestRate      the best receive rate of the recent intervals, in bytes per second
     */
    long adjust(long window, long now, long meanRtt, boolean windowLimited, double bestRate) {
        if (proven > 0 && bestRate < provenRate * FORGET) {
            proven = 0;
        }
        if (from > 0) {
            return settled(verdict(now, windowLimited), now);
        }
        long kept = settled(Math.min(maxBytes, Math.max(window, proven)), now);
        long wanted = Math.max(AdaptiveWindow.MIN_INTERVAL_NANOS, SPAN_ROUND_TRIPS * meanRtt);
        // The rate before a probe must be the settled rate of one window, not a ramp towards it.
        if (!windowLimited || now < holdUntil || kept >= maxBytes || meanRtt <= 0
                || now - windowSince < meanRtt + wanted) {
            return kept;
        }
        double before = arrivals.rateSince(now - wanted, SPAN_CHUNKS);
        if (before <= 0) {
            return kept;
        }
        span = Math.max(wanted, arrivals.spanNanos());
        from = kept;
        to = Math.min(maxBytes, Math.max(kept + chunkBytes, (long) (kept * (failedOnce ? 1.5 : 2.0))));
        rateBefore = before;
        // The new credit takes a round trip to come back as bytes; the rate after is measured from then on.
        verdictAt = now + meanRtt + span;
        return settled(to, now);
    }

    /**
     * Notes when the window last grew: the rate measured before a probe must not include a ramp towards the window
     * (which would make any growth look paid). A window that shrank, or went up and down with the round-trip
     * estimate, makes that rate higher, if anything, and a probe only harder to pay.
     */
    private long settled(long window, long now) {
        if (window > lastWindow) {
            windowSince = now;
        }
        lastWindow = window;
        return window;
    }

    private long verdict(long now, boolean windowLimited) {
        if (!windowLimited) {
            long window = from;
            from = 0; // something else limited the flow meanwhile: this says nothing, try again later
            return window;
        }
        if (now < verdictAt) {
            return to;
        }
        double after = arrivals.rateSince(now - span, SPAN_CHUNKS);
        // Half-way (geometrically) between no gain and a gain as large as the window's: as likely to be missed by a
        // window-limited flow as to be reached by chance by one limited elsewhere.
        boolean paid = after >= rateBefore * Math.sqrt((double) to / from);
        long window = paid ? to : from;
        if (paid) {
            proven = to;
            provenRate = rateBefore; // the lower of the two: a lucky span must not make a later one look slow
        } else {
            failedOnce = true;
            holdUntil = now + HOLD_NANOS;
        }
        from = 0;
        return window;
    }
}
