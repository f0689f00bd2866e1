package dev.relay.streaming.upload;

import java.util.function.Consumer;

/**
 * The part buffers one writer holds ({@link PartBytes}, on the heap or in the spool) and what it claims of the
 * node's {@link BufferBudget} for them: a buffer is allocated with its part's first byte, but claimed earlier, when
 * the credit for that byte is granted. One buffer may be kept as a spare for the next part. Owned by its
 * {@link PartPipeline}, on the session's serial executor.
 */
final class PartMemory {

    /** The writer's parts that may hold bytes now: the one filling, the one in flight, the sealed ones. */
    interface Parts {
        void forEach(Consumer<PartBuffer> action);
    }

    private final PartBytes.Allocator allocator;
    private final BufferClaim claim;
    private final PartPipeline.Sizing sizing;
    private final long size;
    private final Parts parts;
    private PartBytes spare;

    PartMemory(PartBytes.Allocator allocator, BufferBudget budget, PartPipeline.Sizing sizing, long size,
               Parts parts) {
        this.allocator = allocator;
        this.claim = new BufferClaim(budget);
        this.sizing = sizing;
        this.size = size;
        this.parts = parts;
    }

    /** Bytes of the buffers this writer holds now. */
    long held() {
        long[] bytes = {spare != null ? spare.capacity() : 0};
        parts.forEach(part -> {
            if (part.bytes != null) {
                bytes[0] += part.bytes.capacity();
            }
        });
        return bytes[0];
    }

    /**
     * What this writer will hold once the bytes up to {@code creditEnd} have arrived: its buffers now, and the
     * buffers not yet allocated that those bytes land in (the spare serves the first of them if it is large enough).
     *
     * @param filling        the part filling now, or null
     * @param received       the bytes received so far (where the next part starts if none is filling)
     * @param nextPartNumber the number of the next part opened
     */
    long neededFor(PartBuffer filling, long received, int nextPartNumber, long creditEnd) {
        long need = held();
        long reusable = spare != null ? spare.capacity() : 0;
        long start = received;
        int number = nextPartNumber;
        long end = Math.min(creditEnd, size);
        if (filling != null) {
            if (filling.bytes == null && end > received) {
                need += reusable >= filling.capacity ? 0 : filling.capacity;
                reusable = reusable >= filling.capacity ? 0 : reusable;
            }
            start = filling.end();
            number = filling.number + 1;
        }
        while (start < end) {
            long capacity = Math.max(1, Math.min(sizing.capacity(start, number), size - start));
            need += reusable >= capacity ? 0 : capacity;
            reusable = reusable >= capacity ? 0 : reusable;
            start += capacity;
            number++;
        }
        return need;
    }

    /** Claims {@code bytes} in all from the budget; false if it lacks them. */
    boolean claim(long bytes) {
        return claim.claim(bytes);
    }

    /** Gives back what is claimed beyond {@code bytes}. */
    void shrinkTo(long bytes) {
        claim.shrinkTo(bytes);
    }

    /** Runs {@code retry} once the budget has room for {@code bytes} in all again. */
    void whenFreed(long bytes, Runnable retry) {
        claim.whenFreed(bytes, retry);
    }

    /**
     * Gives the part its buffer when its first bytes arrive, not when it is opened: write channels opened in
     * numbers that send nothing (or not yet) must not each hold a part's worth.
     */
    void allocate(PartBuffer part) {
        if (part.bytes == null) {
            if (spare != null && spare.capacity() >= part.capacity) {
                part.bytes = spare;
            } else {
                if (spare != null) {
                    spare.release();
                }
                part.bytes = allocator.allocate(part.capacity);
            }
            spare = null;
            claim.cover(held());
        }
    }

    /**
     * S3 has the part: its buffer becomes the spare if {@code keep}, else it goes. Kept only when no part is filling
     * yet (the caller's condition): a buffer held idle until the part filling now ends would double what an upload
     * that runs past its parts holds (64 uploads at 2 MB/s: 28 MiB each instead of 16, benchmarks of 2026-12-03).
     */
    void stored(PartBuffer part, boolean keep) {
        if (keep && part.bytes != null) {
            if (spare != null) {
                spare.release();
            }
            spare = part.bytes;
            part.bytes = null;
        } else {
            drop(part);
        }
    }

    /** A paused session keeps no buffer for later. */
    void dropSpare() {
        if (spare != null) {
            spare.release();
            spare = null;
        }
    }

    /** Lets the part's bytes go (a stage reading them keeps them until it is done, see {@link PartBytes#retain}). */
    static void drop(PartBuffer part) {
        if (part.bytes != null) {
            part.bytes.release();
            part.bytes = null;
        }
    }

    /** The writer closed: the spare goes and so does its whole claim (the parts were dropped by the pipeline). */
    void release() {
        dropSpare();
        claim.release();
    }
}
