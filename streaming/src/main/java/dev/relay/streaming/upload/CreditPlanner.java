package dev.relay.streaming.upload;

import dev.relay.streaming.TransferSettings;
import dev.relay.streaming.flow.AdaptiveWindow;
import dev.relay.streaming.flow.CreditPolicy;
import dev.relay.streaming.flow.RatePacer;
import dev.relay.streaming.flow.RunAhead;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.scheduler.Schedulers;

import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * How much credit (request-n) one write channel grants, and how large its parts are: the credit window
 * ({@link AdaptiveWindow}), a rate cap ({@link RatePacer}), and the room the part pipeline has before the bytes not
 * yet durable would exceed the part size ({@link PartSizer}, {@link RunAhead}). Credit is granted so that the chunks
 * in flight always fit that room, counted as whole maximum-size chunks. Owned by the session's serial executor.
 */
final class CreditPlanner {

    private static final Logger log = LoggerFactory.getLogger(CreditPlanner.class);
    private static final double AHEAD_HEADROOM = 1.25;

    private final String id;
    private final long size;
    private final long partSize;
    private final int maxChunkBytes;
    private final boolean receiveAhead;
    private final PartSizer sizer;
    private final CreditPolicy credits;
    private final AdaptiveWindow window;
    private final RatePacer pacer = new RatePacer();
    /** What should run past a part's end (see {@link #wantedAhead}). */
    private final RunAhead runAhead = new RunAhead(AHEAD_HEADROOM, 4, 8);
    private final Executor serial;
    private PartPipeline parts;
    private long outstanding;
    private long creditsGranted;
    private boolean pacedGrantScheduled;
    private boolean memoryWaitScheduled;

    CreditPlanner(String id, long size, long partSize, TransferSettings settings, Executor serial) {
        this.id = id;
        this.serial = serial;
        this.size = size;
        this.partSize = partSize;
        this.maxChunkBytes = settings.maxChunkBytes();
        this.receiveAhead = settings.receiveAhead();
        this.sizer = new PartSizer(size, partSize, settings.preferredPartFor(size), settings.maxParts(),
                maxChunkBytes);
        this.credits = new CreditPolicy(maxChunkBytes);
        this.window = new AdaptiveWindow(settings.creditWindowBytes(), settings.creditWindowMaxBytes(),
                maxChunkBytes);
    }

    /** The pipeline whose room this plans for (the two refer to each other: parts are sized here). */
    void plan(PartPipeline parts) {
        this.parts = parts;
    }

    long outstanding() {
        return outstanding;
    }

    long creditsGranted() {
        return creditsGranted;
    }

    long windowBytes() {
        return window.windowBytes();
    }

    long rateLimit() {
        return pacer.rate();
    }

    /** What the session may hold of bytes not yet durable: the part size, or two parts with receive-ahead. */
    long bufferCapacity() {
        return receiveAhead ? 2 * partSize : partSize;
    }

    /** A chunk of {@code bytes} arrived: false if it had no credit. */
    boolean received(int bytes) {
        if (outstanding <= 0) {
            return false;
        }
        outstanding--;
        long now = System.nanoTime();
        window.received(bytes, now);
        pacer.consumed(bytes, now);
        return true;
    }

    /** A part was recorded {@code finishNanos} after its last byte: the delivery rate and finish time move. */
    void recorded(long durableOffset, long finishNanos) {
        long now = System.nanoTime();
        runAhead.recorded(durableOffset, now, finishNanos);
    }

    /** The flow stopped (paused): the window and the rate start over when it flows again. */
    void idle() {
        window.idle();
    }

    void resumed() {
        runAhead.restart();
    }

    void limit(long bytesPerSecond) {
        pacer.setRate(bytesPerSecond, System.nanoTime());
    }

    /**
     * Grants what the room, the window and the rate cap allow now through {@code request} (nothing while no part
     * buffer is open); under a rate cap with nothing in flight, runs {@code later} on the serial executor when the
     * cap allows a chunk.
     */
    void grant(boolean paused, LongConsumer request, Runnable later) {
        PartBuffer filling = parts.filling();
        if (filling == null) {
            window.heldBack(); // credit is due, but there is no buffer to receive into yet
            return;
        }
        long received = parts.received();
        long free;
        if (receiveAhead) {
            // The next part's room counts only if, once the part now filling is full, it can go to S3 at once and
            // the next one may be received meanwhile (no older part still waits for its record).
            free = filling.room();
            if (parts.unrecordedParts() == 0) {
                free += Math.min(partSize, size - filling.end());
            }
        } else {
            free = Math.max(0, creditLimit() - received);
        }
        long n = credits.grantable(outstanding, window.windowBytes(), free, size - received, paused);
        if (n > 0 && pacer.limited()) {
            long now = System.nanoTime();
            n = Math.min(n, pacer.creditsAllowed(now, outstanding, maxChunkBytes));
            if (n == 0 && outstanding == 0) {
                grantLater(pacer.nanosUntilAllowed(now), later);
            }
        }
        if (n > 0 && !parts.memory().reserve(creditEnd(received, n))) {
            n = affordable(received, n, later);
        }
        if (outstanding + n < credits.windowCredits(window.windowBytes())) {
            window.heldBack(); // the room, the cap, memory or a pause limits the flow now, not the window
        }
        if (n > 0) {
            creditsGranted += n;
            outstanding += n;
            window.granted(n, System.nanoTime());
            request.accept(n);
        }
        parts.memory().settle(creditEnd(received, 0));
    }

    /** The byte that {@code more} credits on top of those outstanding may reach (each a whole maximum chunk). */
    private long creditEnd(long received, long more) {
        return Math.min(size, received + (outstanding + more) * maxChunkBytes);
    }

    /**
     * The node's buffer budget cannot cover {@code wanted} credits: as many as the memory already claimed covers
     * (credit into the part buffer filling now needs nothing new), and a retry once memory is given back.
     */
    private long affordable(long received, long wanted, Runnable later) {
        long n = wanted - 1;
        while (n > 0 && !parts.memory().reserve(creditEnd(received, n))) {
            n--;
        }
        if (n < wanted && !memoryWaitScheduled) {
            memoryWaitScheduled = true;
            parts.memory().whenFreed(creditEnd(received, wanted), () -> serial.execute(() -> {
                memoryWaitScheduled = false;
                later.run();
            }));
        }
        return n;
    }

    /** Under a rate cap with nothing in flight, nothing else would grant again: a timer does. */
    private void grantLater(long delayNanos, Runnable later) {
        if (pacedGrantScheduled) {
            return;
        }
        pacedGrantScheduled = true;
        Schedulers.parallel().schedule(() -> serial.execute(() -> {
            pacedGrantScheduled = false;
            later.run();
        }), Math.max(1, delayNanos), TimeUnit.NANOSECONDS);
    }

    /**
     * The byte the client may send up to (without receive-ahead): the durable offset plus a part and what may run
     * past its end ({@link PartSizer#reach}), never more than the part size, which is what a crash may cost. When no
     * older part is on its way, at least a chunk less a byte past the end of the part filling now: credit counts
     * whole chunks, so room for less than a chunk (a part resumed mid-way, a client sending short chunks) would
     * otherwise never be granted and the part never complete. Buffers for the parts this reaches into are opened as
     * their bytes arrive.
     */
    private long creditLimit() {
        long limit = parts.durableOffset() + sizer.reach(wantedAhead());
        PartBuffer filling = parts.filling();
        if (filling != null && parts.unrecordedParts() == 0) {
            limit = Math.max(limit, filling.end() + maxChunkBytes - 1);
        }
        return limit;
    }

    /** Whether {@link #creditLimit} leaves room for one more whole chunk (credit counts whole chunks). */
    boolean roomForAChunk() {
        return creditLimit() - parts.received() >= maxChunkBytes;
    }

    /**
     * Whether a buffer may be opened for the next part now: without receive-ahead while there is room for a chunk
     * or no part is waiting to be recorded; with it, while at most one part is.
     */
    boolean roomForNextPart() {
        return receiveAhead ? parts.unrecordedParts() < 2 : parts.unrecordedParts() == 0 || roomForAChunk();
    }

    /**
     * Whether to open the next part's buffer right after a part became full at the end of a chunk: with
     * receive-ahead when that part went straight to S3; otherwise for credit already granted past the boundary, or
     * room for more.
     */
    boolean wantsNextPart(boolean paused) {
        return receiveAhead
                ? parts.lastSealedIsStoring() && !(paused && outstanding == 0)
                : outstanding > 0 || (!paused && roomForAChunk());
    }

    /**
     * Bytes that should be able to run past the end of a part, so the flow need not stop there until the part is
     * durable: what arrives meanwhile, as {@link RunAhead} estimates it (a round trip and the part's finish at the
     * delivery rate). It costs memory only where it buys throughput: a slow upload runs ahead by little. With
     * receive-ahead the next part has its own buffer, and parts stay whole.
     */
    private long wantedAhead() {
        if (receiveAhead) {
            return 0;
        }
        long ahead = runAhead.bytes(window.minRttNanos());
        // Until a few parts are recorded, the window (which holds the bandwidth-delay product) stands in for it.
        return ahead >= 0 ? ahead : window.windowBytes();
    }

    /** The size of the part starting at {@code start}, chosen now (rate and round trip change as the upload runs). */
    long capacity(long start, int number) {
        long ahead = wantedAhead();
        long capacity = sizer.capacity(start, number, ahead);
        if (log.isDebugEnabled()) {
            log.debug("Upload {}: part {} from byte {}: {} bytes; ahead {} (rate {} MB/s, rtt {} ms, finish {} ms,"
                            + " window {})", id, number, start, capacity, ahead,
                    (long) (runAhead.deliveryRate() / 1e6), window.minRttNanos() / 1_000_000,
                    runAhead.shortestFinishNanos() / 1_000_000, window.windowBytes());
        }
        return capacity;
    }
}
