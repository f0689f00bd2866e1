package dev.relay.streaming.flow;

/** The largest of the last {@code n} samples (0 before the first): a cautious estimate that forgets old outliers. */
public final class RecentMax {

    private final long[] samples;
    private int next;

    public RecentMax(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("Keep at least one sample");
        }
        this.samples = new long[n];
    }

    public void add(long sample) {
        samples[next] = Math.max(0, sample);
        next = (next + 1) % samples.length;
    }

    public long max() {
        long max = 0;
        for (long sample : samples) {
            max = Math.max(max, sample);
        }
        return max;
    }
}
