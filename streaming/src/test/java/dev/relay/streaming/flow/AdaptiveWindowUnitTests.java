package dev.relay.streaming.flow;

import java.util.ArrayDeque;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class AdaptiveWindowUnitTests {

    private static final int CHUNK = 256 * 1024;
    private static final long MIB = 1024 * 1024;
    private static final long MS = 1_000_000L;

    /**
     * A sender that always has data, behind a link of the given round trip and bandwidth, for {@code seconds}:
     * each chunk arrives one round trip after its credit, or later if the link is busy.
     */
    private static AdaptiveWindow simulate(long rttNanos, double bytesPerSecond, double seconds) {
        return simulate(new AdaptiveWindow(MIB, 16 * MIB, CHUNK), rttNanos, bytesPerSecond, seconds);
    }

    private static AdaptiveWindow simulate(AdaptiveWindow window, long rttNanos, double bytesPerSecond,
                                           double seconds) {
        new Link(rttNanos, bytesPerSecond, null).run(window, (long) (seconds * 1e9));
        return window;
    }

    /** The path of {@link #simulate}: credits in flight, and when the link is free for the next chunk. */
    private static final class Link {
        private final long rttNanos;
        private final long perChunk;
        /** Makes each round trip up to a fifth longer at random (jitter on the path), or null. */
        private final Random jitter;
        private final ArrayDeque<Long> credits = new ArrayDeque<>();
        private long linkFreeAt;
        private long now;

        Link(long rttNanos, double bytesPerSecond, Random jitter) {
            this.rttNanos = rttNanos;
            this.perChunk = (long) (CHUNK / bytesPerSecond * 1e9);
            this.jitter = jitter;
        }

        /** Runs the link on from where it stopped until {@code endNanos}. */
        void run(AdaptiveWindow window, long endNanos) {
            while (now < endNanos) {
                long credit = window.windowBytes() / CHUNK;
                while (credits.size() < credit) {
                    window.granted(1, now);
                    credits.add(now);
                }
                long grantedAt = credits.poll();
                long rtt = jitter == null ? rttNanos : rttNanos + (long) (jitter.nextDouble() * rttNanos / 5);
                long arrival = Math.max(grantedAt + rtt, linkFreeAt + perChunk);
                linkFreeAt = arrival;
                now = Math.max(now, arrival);
                window.received(CHUNK, now);
            }
        }
    }

    @Test
    void onAFastLinkTheWindowStaysAtItsMinimum() {
        AdaptiveWindow window = simulate(200_000, 500e6, 2);
        assertThat(window.windowBytes()).isEqualTo(MIB);
    }

    @Test
    void onASlowRoundTripTheWindowGrowsToTheBandwidthDelayProduct() {
        // 40 ms round trip at 100 MB/s: 4 MB in flight are needed to keep the link busy.
        AdaptiveWindow window = simulate(40 * MS, 100e6, 5);
        assertThat(window.windowBytes()).isBetween(4_000_000L, 16 * MIB);
        assertThat(window.minRttNanos()).isEqualTo(40 * MS);
    }

    @Test
    void aWaitForStorageDoesNotShrinkTheWindow() {
        AdaptiveWindow window = simulate(40 * MS, 100e6, 5);
        // Then the upload waits 300 ms for a part buffer (no credit, nothing arrives) and receives again slowly.
        long now = 5_300 * MS;
        window.idle();
        long grown = window.windowBytes(); // (a probe of the window under way is undone by the stop)
        for (int i = 0; i < 4; i++) {
            window.granted(1, now);
            now += 45 * MS;
            window.received(CHUNK, now);
        }
        assertThat(window.windowBytes()).isGreaterThanOrEqualTo(grown);
    }

    @Test
    void onAFasterPathTheWindowShrinksOnceTheOldRateIsForgotten() {
        AdaptiveWindow window = simulate(40 * MS, 100e6, 5);
        // The client reconnects over a path with a 0.5 ms round trip: the minimum RTT follows at once, and the window
        // shrinks as soon as the target allows (at most halving per interval).
        window.idle();
        long now = 5_000 * MS;
        for (int i = 0; i < 20_000 && now < 8_000 * MS; i++) {
            window.granted(1, now);
            now += (long) (CHUNK / 500e6 * 1e9);
            window.received(CHUNK, now);
        }
        assertThat(window.windowBytes()).isLessThanOrEqualTo(2 * MIB);
    }

    @Test
    void fromOneChunkTheWindowStillGrowsToTheBandwidthDelayProduct() {
        // The service's default: the window starts at one chunk. 1.5 x (one chunk per RTT) x RTT is 1.5 chunks,
        // which rounds down to the same single credit unless growth is at least a chunk.
        AdaptiveWindow window = simulate(new AdaptiveWindow(CHUNK, 16 * MIB, CHUNK), 40 * MS, 100e6, 5);
        assertThat(window.windowBytes()).isBetween(4_000_000L, 16 * MIB);
        AdaptiveWindow fast = simulate(new AdaptiveWindow(CHUNK, 16 * MIB, CHUNK), 200_000, 500e6, 2);
        // 500 MB/s: a chunk takes longer to send than the round trip, so 1.5 x rate x RTT is about 1.5 chunks.
        assertThat(fast.windowBytes()).as("on a fast link it stays within two chunks").isLessThan(2 * CHUNK);
    }

    @Test
    void limitedByItsWindowTheWindowDoublesEachRoundTrip() {
        // 40 ms at 100 MB/s from one chunk: 4 MB in flight needed, 2^4 chunks. Growing by half every 100 ms took about
        // a second; doubling once per interval, judged on a rate that lagged the window by a round trip, half a
        // second (and shrank the window whenever an interval ended inside a burst). Growing by each chunk that
        // arrives while the window is full doubles it every round trip: about five round trips.
        AdaptiveWindow window = simulate(new AdaptiveWindow(CHUNK, 16 * MIB, CHUNK), 40 * MS, 100e6, 0.25);
        assertThat(window.windowBytes()).isGreaterThanOrEqualTo(4_000_000L);
    }

    @Test
    void whileItGrowsFromOneChunkTheWindowNeverShrinks() {
        AdaptiveWindow window = new AdaptiveWindow(CHUNK, 16 * MIB, CHUNK);
        Link link = new Link(40 * MS, 100e6, null);
        long previous = window.windowBytes();
        for (int step = 1; step <= 8; step++) {
            // Bursts of credit arrive together, so intervals end inside a burst; until the window holds the
            // bandwidth-delay product it must only grow.
            link.run(window, step * 25 * MS);
            assertThat(window.windowBytes()).as("after %d ms", step * 25).isGreaterThanOrEqualTo(previous);
            previous = window.windowBytes();
        }
    }

    @Test
    void aJitteryRoundTripDoesNotRatchetTheWindowUp() {
        // After it has grown, single short round trips (jitter) must not each add a chunk: the window settles near
        // 1.5 x the bandwidth-delay product (4 MB at 40 ms and 100 MB/s), not at its maximum. A probe of a larger
        // window (undone when the flow stops) does not pay on a full link, so it is never kept.
        AdaptiveWindow window = new AdaptiveWindow(CHUNK, 16 * MIB, CHUNK);
        new Link(40 * MS, 100e6, new Random(7)).run(window, 5_000 * MS);
        window.idle();
        assertThat(window.windowBytes()).isBetween(4_000_000L, 8_000_000L);
    }

    @Test
    void theWindowNeverExceedsItsMaximum() {
        AdaptiveWindow window = simulate(200 * MS, 1e9, 5);
        assertThat(window.windowBytes()).isEqualTo(16 * MIB);
    }

    @Test
    void withoutRoundTripSamplesTheWindowStays() {
        AdaptiveWindow window = new AdaptiveWindow(MIB, 16 * MIB, CHUNK);
        for (long t = 0; t < 1_000 * MS; t += MS) {
            window.received(CHUNK, t);
        }
        assertThat(window.windowBytes()).isEqualTo(MIB);
        assertThat(window.minRttNanos()).isEqualTo(-1);
    }
}
