package dev.relay.streaming.upload;

import java.util.function.Consumer;

/**
 * The part buffers one writer holds ({@link PartBytes}, on the heap or in the spool) and what it claims of the
 * node's {@link BufferBudget} for them: a buffer is allocated with its part's first byte, but claimed earlier, when
 * the credit for that byte is granted. One buffer may be kept as a spare for the next part. Owned by its
 * {@link PartPipeline}, on the session's serial executor.
 */
final class PartMemory {

    /** What the writer's pipeline has now. */
    interface Parts {
        /** The parts that may hold bytes: the one filling, the one in flight, the sealed ones. */
        void forEach(Consumer<PartBuffer> action);

        /** The part filling now, or null. */
        PartBuffer filling();

        /** The bytes received so far (where the next part starts if none is filling). */
        long received();

        /** Where the part not yet complete starts, and its number. */
        long nextPartStart();

        int nextPartNumber();
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
     */
    private long neededFor(long creditEnd) {
        PartBuffer filling = parts.filling();
        long received = parts.received();
        long need = held();
        long reusable = spare != null ? spare.capacity() : 0;
        long start = received;
        int number = parts.nextPartNumber();
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

    /** Claims from the budget what the bytes up to {@code creditEnd} will need; false if it lacks the memory. */
    boolean reserve(long creditEnd) {
        return claim.claim(neededFor(creditEnd));
    }

    /**
     * Claims the buffer of the part to resume from its staged tail ({@link PartPipeline#resumePart}): it holds the
     * tail's bytes before any credit is granted. False if the budget lacks it; {@link #whenFreed} then asks again.
     */
    boolean reserveForResume() {
        long start = parts.nextPartStart();
        return claim.claim(held() + Math.max(sizing.capacity(start, parts.nextPartNumber()),
                parts.received() - start));
    }

    /** Gives back what this writer claimed beyond its buffers and the credit outstanding up to {@code creditEnd}. */
    void settle(long creditEnd) {
        claim.shrinkTo(neededFor(creditEnd));
    }

    /** Runs {@code retry} once the budget has memory again (for the bytes up to {@code creditEnd}). */
    void whenFreed(long creditEnd, Runnable retry) {
        claim.whenFreed(neededFor(creditEnd), retry);
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
