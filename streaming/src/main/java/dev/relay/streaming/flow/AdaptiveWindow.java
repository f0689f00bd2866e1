package dev.relay.streaming.flow;

/**
 * Sizes an upload's credit window to its bandwidth-delay product, so that throughput does not collapse with network
 * latency while a pause on a fast link still stops the flow within about {@code minBytes}.
 *
 * <p>The round-trip time is measured from credit to chunk: each granted credit is timestamped, and the chunk that
 * uses it (chunks use credits in order) yields a sample; the minimum over a period is kept, which discounts a client
 * that was slow to have data. The receive rate is measured over intervals of one round trip (within
 * [{@link #MIN_INTERVAL_NANOS}, {@link #INTERVAL_NANOS}]), and the best of the last {@link #RATE_INTERVALS} counts (a windowed maximum, as BBR keeps it): an interval in which
 * the upload waited for S3 to free a part buffer says nothing about the path, and letting it shrink the window made
 * the refill after every such wait latency-bound. The window then follows {@code HEADROOM x rate x minRtt}, at most
 * doubling or halving per interval and growing by at least a chunk when it grows (credit counts whole chunks),
 * within {@code [minBytes, maxBytes]}. When the window is what limits the rate, rate x RTT is close to the window:
 * it then doubles each round trip (TCP's slow start), so a 40 ms path reaches its bandwidth-delay product in a few
 * tenths of a second, until the network or storage becomes the limit.
 */
public final class AdaptiveWindow {

    static final long INTERVAL_NANOS = 100_000_000L;
    static final long MIN_INTERVAL_NANOS = 20_000_000L;
    /** rate x RTT at this share of the window or more: the window is what limits the rate. */
    private static final double WINDOW_LIMITED = 0.75;
    private static final long RTT_PERIOD_NANOS = 10_000_000_000L;
    private static final double HEADROOM = 1.5;
    static final int RATE_INTERVALS = 10;

    private final long minBytes;
    private final long maxBytes;
    private final int chunkBytes;
    private final long[] grantTimes;
    private int head;
    private int size;

    private long window;
    private long minRtt = Long.MAX_VALUE;
    private long nextMinRtt = Long.MAX_VALUE;
    private long rttPeriodStart;
    private long intervalStart = -1;
    private long intervalBytes;
    private final double[] rates = new double[RATE_INTERVALS];
    private int nextRate;

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
        this.chunkBytes = chunkBytes;
        this.window = minBytes;
        this.grantTimes = new long[(int) Math.max(1, maxBytes / chunkBytes) + 1];
    }

    /** The current window in bytes. */
    public long windowBytes() {
        return window;
    }

    /** The best receive rate of the last {@link #RATE_INTERVALS} intervals, in bytes per second (0 before one). */
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

    /** A chunk of {@code bytes} arrived at {@code now}, using the oldest outstanding credit. */
    public void received(int bytes, long now) {
        if (size > 0) {
            sample(now - grantTimes[head]);
            head = (head + 1) % grantTimes.length;
            size--;
        }
        if (intervalStart < 0) {
            // The first chunk marks the start: the time it took to arrive lies before the interval.
            intervalStart = now;
            rttPeriodStart = now;
        } else {
            intervalBytes += bytes;
        }
        long elapsed = now - intervalStart;
        long interval = minRtt == Long.MAX_VALUE ? INTERVAL_NANOS
                : Math.max(MIN_INTERVAL_NANOS, Math.min(INTERVAL_NANOS, minRtt));
        if (elapsed >= interval) {
            rates[nextRate] = intervalBytes * 1e9 / elapsed;
            nextRate = (nextRate + 1) % RATE_INTERVALS;
            adapt(rateBytesPerSecond());
            intervalStart = now;
            intervalBytes = 0;
        }
        if (now - rttPeriodStart >= RTT_PERIOD_NANOS) {
            // Start a new period so the estimate follows a path whose latency grew; keep the last period's minimum
            // until the new one has a sample.
            minRtt = nextMinRtt == Long.MAX_VALUE ? minRtt : nextMinRtt;
            nextMinRtt = Long.MAX_VALUE;
            rttPeriodStart = now;
        }
    }

    /** Forgets outstanding credit (the channel paused and all granted chunks arrived, or it restarts). */
    public void idle() {
        head = 0;
        size = 0;
        intervalStart = -1;
        intervalBytes = 0;
    }

    private void sample(long rtt) {
        if (rtt <= 0) {
            return;
        }
        minRtt = Math.min(minRtt, rtt);
        nextMinRtt = Math.min(nextMinRtt, rtt);
    }

    private void adapt(double bytesPerSecond) {
        if (minRtt == Long.MAX_VALUE) {
            return;
        }
        double inFlight = bytesPerSecond * minRtt / 1e9;
        double target = HEADROOM * inFlight;
        if (inFlight >= WINDOW_LIMITED * window) {
            target = Math.max(target, 2.0 * window);
        }
        if (target > window) {
            // Credit counts whole chunks: growth of less than a chunk would change nothing, and a window of one chunk
            // (rate = chunk / RTT, so target = 1.5 chunks) would never grow.
            target = Math.max(target, window + chunkBytes);
        }
        long next = (long) Math.max(window / 2.0, Math.min(window * 2.0, target));
        window = Math.max(minBytes, Math.min(maxBytes, next));
    }
}
