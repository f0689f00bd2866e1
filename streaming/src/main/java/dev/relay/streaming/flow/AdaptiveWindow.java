package dev.relay.streaming.flow;

/**
 * Sizes an upload's credit window to its bandwidth-delay product, so that throughput does not collapse with network
 * latency while a pause on a fast link still stops the flow within about {@code minBytes}.
 *
 * <p>The round-trip time is measured from credit to chunk: each granted credit is timestamped, and the chunk that
 * uses it (chunks use credits in order) yields a sample; the minimum over a period is kept, which discounts a client
 * that was slow to have data.
 *
 * <p>From the start, while each chunk arrives within {@code minRtt / }{@link #WINDOW_LIMITED} of its credit (the bytes
 * in flight then arrived within a round trip that no queue stretched: the window is what limits the rate), the
 * window grows by each chunk that arrives, so it doubles every round trip (TCP's slow start; a delay-based exit as
 * in HyStart); a 40 ms path reaches its bandwidth-delay product in five or six round trips. Growing once per interval
 * on a rate that lagged the window by a round trip took twice as long, and shrank the window whenever an interval
 * ended inside a burst (measured through the 40 ms delay relay: 0.87 s to the first recorded 16 MiB part, against
 * 0.56 s with this and 0.14 s on loopback). The first later chunk ends the slow start; from then on, once per
 * interval (one round trip, within [{@link #MIN_INTERVAL_NANOS}, {@link #INTERVAL_NANOS}]) the window shrinks
 * towards {@code HEADROOM x rate x minRtt} when that is smaller, with the best receive rate of the last
 * {@link #RATE_INTERVALS} intervals (a windowed maximum, as BBR keeps it: an interval in which the upload waited for
 * S3 says nothing about the path), at most halving, never below {@code minBytes}.
 *
 * <p>After the slow start the window grows only by trial ({@link WindowProbe}): a larger window is kept if the rate
 * grew with it. The estimate above assumes the shortest round trip is the path's and anything longer a queue, which
 * holds for a client that turns credit around at once (Relay's Java client); a browser's turnaround varies by tens of
 * milliseconds, so growth by that estimate left its window at one chunk (or, grown on a noisy rate, went up and down
 * every interval), while a probe's verdict holds whatever the turnaround. The session reports intervals in which the
 * room for bytes, a rate cap or a pause, not the window, limited credit ({@link #heldBack}): no probe starts or is
 * judged in them.
 */
public final class AdaptiveWindow {

    static final long INTERVAL_NANOS = 100_000_000L;
    static final long MIN_INTERVAL_NANOS = 20_000_000L;
    /** A round trip within the minimum divided by this: no queue stretched it, the window limits the rate. */
    private static final double WINDOW_LIMITED = 0.75;
    private static final long RTT_PERIOD_NANOS = 10_000_000_000L;
    private static final double HEADROOM = 1.5;
    static final int RATE_INTERVALS = 10;

    private final long minBytes;
    private final long maxBytes;
    /** When each outstanding credit was granted, oldest first. */
    private final int grantCapacity;
    /** Allocated with the first grant and dropped when the flow stops (a paused upload holds a few KiB at most). */
    private long[] grantTimes;
    private int head;
    private int size;

    private long window;
    private long minRtt = Long.MAX_VALUE;
    private long nextMinRtt = Long.MAX_VALUE;
    private long rttPeriodStart = -1;
    private long intervalStart = -1;
    private long intervalBytes;
    /** From the start until the first sample in which the window was not what limited the rate. */
    private boolean slowStart = true;
    private final double[] rates = new double[RATE_INTERVALS];
    private int nextRate;
    private final WindowProbe probe;
    /** Round trips sampled in the current interval, for its mean. */
    private long rttSum;
    private int rttCount;
    private long meanRtt = -1;
    /** Whether something other than the window limited the credit granted in the current interval. */
    private boolean heldBack;

    /**
     * @param minBytes   the window on a fast link, and the starting window
     * @param maxBytes   the largest window
     * @param chunkBytes the largest chunk (sizes the bookkeeping: at most {@code maxBytes / chunkBytes} credits)
     */
    public AdaptiveWindow(long minBytes, long maxBytes, int chunkBytes) {
        if (minBytes <= 0 || maxBytes < minBytes || chunkBytes <= 0) {
            throw new IllegalArgumentException("Need 0 < min <= max and a positive chunk size");
        }
        this.minBytes = minBytes;
        this.maxBytes = maxBytes;
        this.window = minBytes;
        this.probe = new WindowProbe(maxBytes, chunkBytes);
        this.grantCapacity = (int) Math.max(1, maxBytes / chunkBytes) + 1;
    }

    /** The current window in bytes. */
    public long windowBytes() {
        return window;
    }

    /** The best delivery rate of the last {@link #RATE_INTERVALS} intervals, in bytes per second (0 before one). */
    private double rateBytesPerSecond() {
        double best = 0;
        for (double rate : rates) {
            best = Math.max(best, rate);
        }
        return best;
    }

    /** The smallest round trip seen in the current period, in nanoseconds, or -1 before the first sample. */
    public long minRttNanos() {
        return minRtt == Long.MAX_VALUE ? -1 : minRtt;
    }

    /** {@code n} credits were granted at {@code now}. */
    public void granted(long n, long now) {
        if (grantTimes == null && n > 0) {
            grantTimes = new long[grantCapacity];
        }
        for (long i = 0; i < n; i++) {
            if (size == grantTimes.length) {
                // More credit than the largest window can hold: the oldest timestamps are the least useful.
                head = (head + 1) % grantTimes.length;
                size--;
            }
            grantTimes[(head + size) % grantTimes.length] = now;
            size++;
        }
    }

    /** The room for bytes, a rate cap or a pause, not the window, limited the credit granted just now. */
    public void heldBack() {
        heldBack = true;
    }

    /** A chunk of {@code bytes} arrived at {@code now}, using the oldest outstanding credit. */
    public void received(int bytes, long now) {
        probe.arrived(bytes, now);
        if (size > 0) {
            sample(now - grantTimes[head], bytes);
            head = (head + 1) % grantTimes.length;
            size--;
        }
        if (intervalStart < 0) {
            // The first chunk marks the start: the time it took to arrive lies before the interval.
            intervalStart = now;
            if (rttPeriodStart < 0) {
                rttPeriodStart = now;
            }
        } else {
            intervalBytes += bytes;
        }
        long elapsed = now - intervalStart;
        long interval = minRtt == Long.MAX_VALUE ? INTERVAL_NANOS
                : Math.max(MIN_INTERVAL_NANOS, Math.min(INTERVAL_NANOS, minRtt));
        if (elapsed >= interval) {
            rates[nextRate] = intervalBytes * 1e9 / elapsed;
            nextRate = (nextRate + 1) % RATE_INTERVALS;
            if (rttCount > 0) {
                meanRtt = rttSum / rttCount;
            }
            if (!slowStart) {
                double rate = rateBytesPerSecond();
                adapt(rate);
                window = Math.max(minBytes, probe.adjust(window, now, meanRtt, !heldBack, rate));
            }
            intervalStart = now;
            intervalBytes = 0;
            rttSum = 0;
            rttCount = 0;
            heldBack = false;
        }
        if (now - rttPeriodStart >= RTT_PERIOD_NANOS) {
            // Start a new period so the estimate follows a path whose latency grew; keep the last period's minimum
            // until the new one has a sample.
            minRtt = nextMinRtt == Long.MAX_VALUE ? minRtt : nextMinRtt;
            nextMinRtt = Long.MAX_VALUE;
            rttPeriodStart = now;
        }
    }

    private void sample(long rtt, int bytes) {
        if (rtt <= 0) {
            return;
        }
        minRtt = Math.min(minRtt, rtt);
        nextMinRtt = Math.min(nextMinRtt, rtt);
        rttSum += rtt;
        rttCount++;
        if (!slowStart) {
            return;
        }
        if (rtt * WINDOW_LIMITED <= minRtt) {
            // The bytes in flight when the credit was granted arrived within a round trip that no queue stretched:
            // the window is what limits the rate. Growing by each chunk that arrives doubles it every round trip.
            window = Math.min(maxBytes, window + bytes);
        } else {
            // A queue somewhere (or a client without data): more window would only lengthen it. Ending on the first
            // such sample keeps a loopback window at a chunk, where round trips vary by far more than a third.
            slowStart = false;
        }
    }

    /** Forgets outstanding credit (the channel paused and all granted chunks arrived, or it restarts). */
    public void idle() {
        head = 0;
        size = 0;
        grantTimes = null;
        intervalStart = -1;
        intervalBytes = 0;
        rttSum = 0;
        rttCount = 0;
        heldBack = false;
        window = probe.idle(window);
    }

    /** Once per interval: down towards {@code HEADROOM x rate x minRtt}, at most by half (growth is by probes). */
    private void adapt(double bytesPerSecond) {
        if (minRtt == Long.MAX_VALUE || bytesPerSecond <= 0) {
            return;
        }
        double target = HEADROOM * bytesPerSecond * minRtt / 1e9;
        if (target < window) {
            window = Math.max(minBytes, (long) Math.max(window / 2.0, target));
        }
    }
}
