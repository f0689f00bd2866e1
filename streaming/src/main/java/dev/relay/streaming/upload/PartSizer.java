package dev.relay.streaming.upload;

import dev.relay.streaming.TransferSettings;

/**
 * Sizes each S3 part of an upload as it starts. The upload's part size {@code P} (announced to the client) is the
 * crash bound: without receive-ahead, the bytes a client may have sent beyond the durable offset never exceed it.
 * A part of {@code P} bytes therefore leaves the flow no room past its end until it is stored and recorded, which
 * costs a round trip at every boundary; on a fast link that is nothing, on a slow one a quarter of the throughput
 * (measured at 40 ms). So on a slow link a part is made shorter by the bytes wanted past its end (two windows), and
 * those may then run into the next part while it is stored: the part and what runs past it stay within {@code P}.
 *
 * <p>Every part but the last stays at least half of {@code P} (and a chunk), so what runs past one part always fits
 * the next one, and at least S3's minimum; and the parts never run out of S3's part numbers: each part is at least the rest of the
 * file divided by the numbers left (which {@code P}, chosen per file, always allows).
 */
final class PartSizer {

    private static final long MIB = 1024L * 1024;

    private final long size;
    private final long partSize;
    private final int maxParts;
    private final int maxChunkBytes;

    PartSizer(long size, long partSize, int maxParts, int maxChunkBytes) {
        this.size = size;
        this.partSize = partSize;
        this.maxParts = maxParts;
        this.maxChunkBytes = maxChunkBytes;
    }

    /**
     * The size of part {@code number} starting at byte {@code start}, when {@code wantedAhead} bytes should be able
     * to run past its end while it is stored (0 on a fast link).
     */
    long capacity(long start, int number, long wantedAhead) {
        long remaining = size - start;
        long ahead = (Math.max(0, wantedAhead) + MIB - 1) / MIB * MIB;
        long floor = Math.max(Math.max((partSize + 1) / 2, TransferSettings.MIN_PART_BYTES), maxChunkBytes);
        long capacity = Math.max(partSize - ahead, floor);
        long numbersLeft = Math.max(1, maxParts - number + 1L);
        capacity = Math.max(capacity, (remaining + numbersLeft - 1) / numbersLeft);
        return Math.min(Math.min(capacity, partSize), remaining);
    }

    /**
     * Bytes that may be received past the end of a part of {@code capacity} bytes before it is durable: what keeps
     * the two within the part size, and at least a chunk less a byte (credit counts whole chunks, so room for less
     * than a chunk, as in a part resumed mid-way, would otherwise never be granted).
     */
    long allowancePast(long capacity) {
        return Math.max(maxChunkBytes - 1L, partSize - capacity);
    }
}
