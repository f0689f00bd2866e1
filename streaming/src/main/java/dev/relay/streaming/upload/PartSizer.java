package dev.relay.streaming.upload;

import dev.relay.streaming.TransferSettings;

/**
 * Sizes each S3 part of an upload as it starts. The upload's part size {@code P} (announced to the client) is the
 * crash bound: without receive-ahead, the bytes a client may have sent beyond the durable offset never exceed it.
 * A part of {@code P} bytes therefore leaves the flow no room past its end until it is stored and recorded, which
 * costs a round trip at every boundary: nothing on a fast link, a quarter of the throughput at 40 ms (measured). So
 * a part that starts on a slow link is made shorter by the bytes that should be able to run past its end while it
 * is finished ({@link dev.relay.streaming.flow.RunAhead}); they go into the next parts, and the bytes not yet
 * durable stay within {@code P}.
 *
 * <p>Every part but the last is at least S3's minimum and a chunk, and the parts never run out of S3's part numbers:
 * each is at least the rest of the file divided by the numbers left (which {@code P}, chosen per file, allows).
 */
record PartSizer(long size, long partSize, int maxParts, int maxChunkBytes) {

    private static final long MIB = 1024L * 1024;

    /**
     * The size of part {@code number} starting at byte {@code start}, when {@code wantedAhead} bytes should be able
     * to run past its end while it is stored (0 on a fast link).
     */
    long capacity(long start, int number, long wantedAhead) {
        long remaining = size - start;
        long ahead = (Math.max(0, wantedAhead) + MIB - 1) / MIB * MIB;
        long capacity = Math.max(partSize - ahead, Math.max(TransferSettings.MIN_PART_BYTES, maxChunkBytes));
        long numbersLeft = Math.max(1, maxParts - number + 1L);
        capacity = Math.max(capacity, (remaining + numbersLeft - 1) / numbersLeft);
        return Math.min(Math.min(capacity, partSize), remaining);
    }

}
