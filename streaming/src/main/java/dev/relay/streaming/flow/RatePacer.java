package dev.relay.streaming.flow;

/**
 * Paces credit to a rate cap: a token bucket over the bytes actually received (so the cap holds whatever chunk size
 * the client uses), and at most a quarter second of bytes in flight (so the flow stays smooth, not bursty). Not
 * thread-safe: a session calls it from its serial executor.
 */
public final class RatePacer {

    private static final double BURST_SECONDS = 0.25;

    private long rate;
    private double tokens;
    private long last;

    /** Sets the cap in bytes per second; 0 or less removes it. */
    public void setRate(long bytesPerSecond, long nowNanos) {
        rate = Math.max(0, bytesPerSecond);
        tokens = burst();
        last = nowNanos;
    }

    public boolean limited() {
        return rate > 0;
    }

    /** The cap, or 0. */
    public long rate() {
        return rate;
    }

    /** Bytes arrived: they use up tokens, possibly into debt that later grants wait out. */
    public void consumed(long bytes, long nowNanos) {
        if (limited()) {
            refill(nowNanos);
            tokens -= bytes;
        }
    }

    /**
     * How many more credits may be granted now, given {@code outstanding} credits of up to {@code chunkBytes}
     * each; unlimited without a cap.
     */
    public long creditsAllowed(long nowNanos, long outstanding, int chunkBytes) {
        if (!limited()) {
            return Long.MAX_VALUE;
        }
        refill(nowNanos);
        if (tokens <= 0) {
            return 0;
        }
        long inFlight = Math.max(1, (long) (rate * BURST_SECONDS) / chunkBytes);
        return Math.max(0, inFlight - outstanding);
    }

    /** Nanoseconds until credit may be granted again (0 if it may now). */
    public long nanosUntilAllowed(long nowNanos) {
        if (!limited()) {
            return 0;
        }
        refill(nowNanos);
        return tokens > 0 ? 0 : (long) Math.ceil(-tokens * 1e9 / rate) + 1;
    }

    private void refill(long nowNanos) {
        tokens = Math.min(burst(), tokens + (nowNanos - last) * (double) rate / 1e9);
        last = nowNanos;
    }

    private double burst() {
        return Math.max(1, rate * BURST_SECONDS);
    }
}
