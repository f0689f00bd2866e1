package dev.relay.streaming.upload;

import dev.relay.streaming.TransferSettings;

/**
 * Sizes each S3 part of an upload as it starts. The upload's part size {@code P} (announced to the client) is the
 * crash bound: without receive-ahead, the bytes a client may have sent beyond the durable offset never exceed it.
 * Parts are filled to the preferred length {@code L <= P}. Stopping the flow at a part's end until the part is
 * durable would cost the part's finish at every boundary, and a round trip more on a slow link (a quarter of the
 * throughput at 40 ms, measured); on loopback too, S3 then stores one part at a time instead of overlapping two
 * (docs/architecture.md, section 3). So the client may send {@link #reach} past the durable offset: a part and what
 * arrives while it is finished ({@link dev.relay.streaming.flow.RunAhead}), within {@code P}; a part is made shorter
 * than {@code L} only when {@code P - L} is not room enough.
 *
 * <p>Every part but the last is at least S3's minimum and a chunk, and the parts never run out of S3's part numbers:
 * each is at least the rest of the file divided by the numbers left (which {@code P}, chosen per file, allows).
 */
record PartSizer(long size, long partSize, long preferred, int maxParts, int maxChunkBytes) {

    private static final long MIB = 1024L * 1024;

    PartSizer {
        preferred = Math.min(preferred, partSize);
    }

    /**
     * The size of part {@code number} starting at byte {@code start}, when {@code wantedAhead} bytes should be able
     * to run past its end while it is stored.
     */
    long capacity(long start, int number, long wantedAhead) {
        long remaining = size - start;
        long capacity = Math.max(Math.min(preferred, partSize - wholeMiB(wantedAhead)),
                Math.max(TransferSettings.MIN_PART_BYTES, maxChunkBytes));
        long numbersLeft = Math.max(1, maxParts - number + 1L);
        capacity = Math.max(capacity, (remaining + numbersLeft - 1) / numbersLeft);
        return Math.min(Math.min(capacity, partSize), remaining);
    }

    /**
     * How far past the durable offset the client may send when {@code wantedAhead} bytes should be able to run past
     * a part's end: a part, and what runs past it, within the part size.
     */
    long reach(long wantedAhead) {
        return Math.min(partSize, preferred + wholeMiB(wantedAhead));
    }

    private static long wholeMiB(long bytes) {
        return (Math.max(0, bytes) + MIB - 1) / MIB * MIB;
    }

}
