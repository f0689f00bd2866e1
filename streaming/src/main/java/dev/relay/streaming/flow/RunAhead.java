package dev.relay.streaming.flow;

/**
 * How many bytes should be able to run past the end of a part while that part is finished (S3 has its last bytes
 * and the database records it), so that the flow need not stop at every part boundary:
 * {@code headroom x delivery rate x (minimum round trip + shortest recent finish)}, the bytes that arrive while the
 * durable offset's news travels back and the part's fixed finishing delay passes.
 *
 * <p>Both delays are minimums on purpose, as in BBR's bandwidth-delay product: time a part spends queued behind
 * other bytes at a busy S3 server is not a delay that running ahead covers, it is the queue itself, and it grows
 * with whatever the flow is allowed to run ahead. Sizing by the longest recent finish (as until 2026-12-03) fed that
 * queue back into ever shorter parts, which cost S3Proxy more CPU per byte and lengthened the queue again. The rate is
 * the durable offset's own progress over the last few parts (a burst of arrivals does not count, only what was
 * stored and recorded). With a headroom above 1 a flow that does stop at its boundaries runs ahead by more than it
 * had room for, so the estimate moves away from stalls instead of settling in them.
 *
 * <p>Not thread-safe: one upload session's serial executor owns it.
 */
public final class RunAhead {

    private final double headroom;
    /** Durable offsets and when they were reached: the last {@code rateSamples + 1} parts recorded. */
    private final long[] offsets;
    private final long[] times;
    private final long[] finishes;
    private int records;
    private int finishCount;

    /**
     * @param headroom    how much more than the estimate may run ahead (above 1, see the class comment)
     * @param rateSamples over how many recorded parts the delivery rate is measured
     * @param finishSamples of how many recent parts the shortest finish is taken
     */
    public RunAhead(double headroom, int rateSamples, int finishSamples) {
        if (headroom <= 1 || rateSamples < 1 || finishSamples < 1) {
            throw new IllegalArgumentException("headroom > 1 and at least one sample of each kind");
        }
        this.headroom = headroom;
        this.offsets = new long[rateSamples + 1];
        this.times = new long[rateSamples + 1];
        this.finishes = new long[finishSamples];
    }

    /**
     * A part was recorded: the durable offset is now {@code offset} at {@code nowNanos}, {@code finishNanos} after the
     * part's last byte arrived.
     */
    public void recorded(long offset, long nowNanos, long finishNanos) {
        offsets[records % offsets.length] = offset;
        times[records % times.length] = nowNanos;
        records++;
        finishes[finishCount++ % finishes.length] = Math.max(0, finishNanos);
    }

    /** The flow stopped for a while (a pause): the next rate must not count the time it stood still. */
    public void restart() {
        records = 0;
    }

    /** Bytes made durable per second over the last parts, or 0 while fewer than enough parts were recorded. */
    public double deliveryRate() {
        if (records < offsets.length) {
            return 0;
        }
        int newest = (records - 1) % offsets.length;
        int oldest = records % offsets.length;
        long nanos = times[newest] - times[oldest];
        return nanos <= 0 ? 0 : (offsets[newest] - offsets[oldest]) * 1e9 / nanos;
    }

    /** The shortest finish of the last parts, or -1 before the first. */
    public long shortestFinishNanos() {
        if (finishCount == 0) {
            return -1;
        }
        long shortest = Long.MAX_VALUE;
        for (int i = 0; i < Math.min(finishCount, finishes.length); i++) {
            shortest = Math.min(shortest, finishes[i]);
        }
        return shortest;
    }

    /** The bytes that should be able to run past a part's end, or -1 while the rate or the delays are unknown. */
    public long bytes(long minRttNanos) {
        double rate = deliveryRate();
        long finish = shortestFinishNanos();
        if (rate <= 0 || finish < 0 || minRttNanos < 0) {
            return -1;
        }
        return (long) (headroom * rate * (minRttNanos + finish) / 1e9);
    }
}
