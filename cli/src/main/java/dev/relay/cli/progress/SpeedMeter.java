package dev.relay.cli.progress;

import java.util.ArrayDeque;

/**
 * Transfer speed over the last few seconds: recent enough to show a pause or a slow link quickly, long enough not to
 * jump with every chunk. Times are nanoseconds from any fixed origin (System.nanoTime in use, made up in tests).
 */
public final class SpeedMeter {

    private record Sample(long nanos, long bytes) {
    }

    private final long windowNanos;
    private final ArrayDeque<Sample> samples = new ArrayDeque<>();

    public SpeedMeter(long windowNanos) {
        this.windowNanos = windowNanos;
    }

    /** Records that {@code bytes} (a position that only grows, like bytes received) was reached at {@code nanos}. */
    public synchronized void record(long nanos, long bytes) {
        if (!samples.isEmpty() && bytes < samples.peekLast().bytes) {
            // The position went back (a new channel from the durable offset): earlier samples say nothing now.
            samples.clear();
        }
        samples.addLast(new Sample(nanos, bytes));
        while (samples.size() > 2 && nanos - samples.peekFirst().nanos > windowNanos) {
            samples.removeFirst();
        }
    }

    /** Bytes per second over the window ending at {@code nanos}; 0 when nothing moved in it. */
    public synchronized double bytesPerSecond(long nanos) {
        if (samples.isEmpty()) {
            return 0;
        }
        Sample last = samples.peekLast();
        Sample first = samples.peekFirst();
        if (nanos - last.nanos > windowNanos) {
            return 0;
        }
        // Measured up to now, not to the last sample, so the speed falls while nothing arrives (a pause).
        long span = Math.max(nanos - first.nanos, 1);
        return (last.bytes - first.bytes) * 1e9 / span;
    }
}
