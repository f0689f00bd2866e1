package dev.relay.streaming.flow;

import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The credit window against simulated clients whose turnaround (credit in, chunk out) differs: a browser that reads
 * a File slice and frames it on a busy event loop, a client whose CPU is the limit, and a server that is.
 */
class WindowProbeUnitTests {

    private static final int CHUNK = 256 * 1024;
    private static final long MIB = 1024 * 1024;
    private static final long MS = 1_000_000L;

    /**
     * A sender and the service: each credit reaches the client {@code oneWay} after it was granted, the client makes
     * the chunk ready after a random turnaround in [{@code turnMin}, {@code turnMax}] (reads run side by side) and
     * sends chunks in order, one per {@code clientCost} at most; the chunk reaches the server {@code oneWay} later,
     * which takes {@code serverCost} per chunk. The server grants up to the window after each chunk, unless
     * {@code heldBack} says the room for bytes limits it (then it grants only as the window allows and says so).
     */
    private static final class Client {
        final AdaptiveWindow window = new AdaptiveWindow(CHUNK, 16 * MIB, CHUNK);
        final Random random = new Random(11);
        final ArrayDeque<Long> credits = new ArrayDeque<>();
        long oneWay = 50_000;
        long turnMin;
        long turnMax;
        long clientCost;
        long serverCost;
        boolean heldBack;
        long sentAt;
        long serverFreeAt;
        long now;
        long received;
        long largestWindow;

        Client(long turnMin, long turnMax, long clientCost, long serverCost) {
            this.turnMin = turnMin;
            this.turnMax = turnMax;
            this.clientCost = clientCost;
            this.serverCost = serverCost;
        }

        /** Runs until {@code end}; returns the bytes per second received meanwhile. */
        double runUntil(long end) {
            long start = now;
            long before = received;
            while (now < end) {
                long credit = window.windowBytes() / CHUNK;
                while (credits.size() < credit) {
                    if (heldBack && !credits.isEmpty()) {
                        window.heldBack();
                        break;
                    }
                    window.granted(1, now);
                    credits.add(now);
                }
                long grantedAt = credits.poll();
                long turnaround = turnMin + (long) (random.nextDouble() * (turnMax - turnMin));
                sentAt = Math.max(grantedAt + oneWay + turnaround, sentAt + clientCost);
                serverFreeAt = Math.max(sentAt + oneWay, serverFreeAt) + serverCost;
                now = serverFreeAt;
                received += CHUNK;
                window.received(CHUNK, now);
                largestWindow = Math.max(largestWindow, window.windowBytes());
            }
            return (received - before) * 1e9 / (now - start);
        }
    }

    @Test
    void aBrowserWithAVaryingTurnaroundGetsTheWindowItsRateNeeds() {
        // 5 to 35 ms from credit to chunk, 1 ms of CPU per chunk (262 MB/s at most): one chunk per turnaround is
        // 13 MB/s, which is where the round-trip estimate alone left it (the browser app measured 12.8 MB/s).
        Client browser = new Client(5 * MS, 35 * MS, MS, 200_000);
        browser.runUntil(3_000 * MS);
        double rate = browser.runUntil(6_000 * MS);
        assertThat(rate).as("bytes per second once settled").isGreaterThan(0.8 * CHUNK * 1e9 / MS);
        // About rate x turnaround is needed (5.5 MB); growth that does not pay is undone.
        assertThat(browser.window.windowBytes()).isBetween(4 * MIB, 12 * MIB);
    }

    @Test
    void aSlowerBrowserGetsThereToo() {
        Client browser = new Client(10 * MS, 50 * MS, 4 * MS, 200_000);
        browser.runUntil(4_000 * MS);
        double rate = browser.runUntil(8_000 * MS);
        assertThat(rate).isGreaterThan(0.8 * CHUNK * 1e9 / (4 * MS));
    }

    @Test
    void aClientLimitedByItsCpuKeepsASmallWindow() {
        // It turns a credit around in 0.2 ms but needs 10 ms per chunk: credit beyond a chunk or two only waits.
        Client busy = new Client(200_000, 200_000, 10 * MS, 200_000);
        double rate = busy.runUntil(5_000 * MS);
        assertThat(rate).isGreaterThan(0.9 * CHUNK * 1e9 / (10 * MS));
        assertThat(busy.window.windowBytes()).isLessThanOrEqualTo(3L * CHUNK);
        assertThat(busy.largestWindow).as("no probe grew it far").isLessThanOrEqualTo(4L * CHUNK);
    }

    @Test
    void aServerThatIsTheLimitKeepsTheWindowSmall() {
        Client fast = new Client(100_000, 300_000, 100_000, 2 * MS);
        fast.runUntil(5_000 * MS);
        assertThat(fast.window.windowBytes()).isLessThanOrEqualTo(3L * CHUNK);
    }

    @Test
    void whenTheServerFallsBehindTheGrownWindowShrinks() {
        Client browser = new Client(5 * MS, 35 * MS, MS, 200_000);
        browser.runUntil(3_000 * MS);
        assertThat(browser.window.windowBytes()).isGreaterThanOrEqualTo(4 * MIB);
        // S3 or the database slows the server to 20 ms per chunk (13 MB/s): a window of megabytes only queues.
        browser.serverCost = 20 * MS;
        browser.runUntil(8_000 * MS);
        assertThat(browser.window.windowBytes()).isLessThanOrEqualTo(2 * MIB);
    }

    @Test
    void noProbeWhileTheRoomForBytesLimitsTheFlow() {
        Client browser = new Client(5 * MS, 35 * MS, MS, 200_000);
        browser.heldBack = true;
        browser.runUntil(3_000 * MS);
        // The slow start's first samples may add a chunk or two; no probe doubles it.
        assertThat(browser.largestWindow).isLessThanOrEqualTo(3L * CHUNK);
    }
}
