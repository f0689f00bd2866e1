package dev.relay.streaming;

import java.time.Duration;

/**
 * The engine's limits and tuning. Sizes are bytes.
 *
 * @param maxChunkBytes        largest data payload accepted on a write channel (announced to the client)
 * @param creditWindowBytes    bytes the server lets be in flight (granted but not yet received) per upload on a
 *                             fast link; a pause stops the flow within about this much
 * @param creditWindowMaxBytes the largest window: on a slow round trip the window grows towards the
 *                             bandwidth-delay product, up to this
 * @param partSizeBytes        the part size announced to clients: the largest S3 part, and the most an upload may have
 *                             received and not yet stored and recorded (what a crash costs, what it holds in
 *                             memory); grown per file to stay within {@code maxParts}
 * @param preferredPartBytes   the length parts are filled to (at most the part size): what an upload holds in
 *                             memory, plus what runs past a part's end while the part is stored (within the part
 *                             size: a few MiB for a fast upload, more on a slow link, little for a slow upload)
 * @param maxParts             S3's limit on parts per multipart upload
 * @param maxFileBytes         largest declared file size accepted
 * @param userQuotaBytes       total declared size of a user's unfinished and completed uploads
 * @param maxOpenUploadsPerUser unfinished (ACTIVE or PAUSED) uploads a user may have at once
 * @param storageRetryTimeout  how long a part write keeps retrying an unavailable S3 or database before the
 *                             upload's channel fails with STORAGE_UNAVAILABLE (durable data is kept)
 * @param expireAfter          an unfinished upload with no write for this long is aborted and marked EXPIRED
 * @param bufferBudgetBytes    the part buffers all of a node's uploads may hold together; past it, new credit waits
 *                             until memory is given back (the clients see a pause): at least two parts
 * @param receiveAhead         receive the next part while the previous one is stored and recorded: the client never
 *                             waits for S3 or the database at a part boundary, but memory holds two parts and a
 *                             crash (no chance to stage) loses up to two parts instead of one. Off by default: parts
 *                             go to S3 as they arrive, so the wait at a boundary is short.
 */
public record TransferSettings(int maxChunkBytes, long creditWindowBytes, long creditWindowMaxBytes,
                               long partSizeBytes, long preferredPartBytes, int maxParts,
                               long maxFileBytes, long userQuotaBytes, int maxOpenUploadsPerUser,
                               Duration storageRetryTimeout, Duration expireAfter, long bufferBudgetBytes,
                               boolean receiveAhead) {

    /** S3's smallest allowed size for every part but the last. */
    public static final long MIN_PART_BYTES = 5L * 1024 * 1024;

    public TransferSettings {
        if (maxChunkBytes <= 0 || creditWindowBytes < maxChunkBytes) {
            throw new IllegalArgumentException("The credit window must hold at least one chunk: window "
                    + creditWindowBytes + ", chunk " + maxChunkBytes);
        }
        if (creditWindowMaxBytes < creditWindowBytes) {
            throw new IllegalArgumentException("The maximum credit window must be at least the window");
        }
        if (partSizeBytes < MIN_PART_BYTES || partSizeBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("The part size must be between 5 MiB and 2 GiB: " + partSizeBytes);
        }
        if (partSizeBytes < maxChunkBytes) {
            throw new IllegalArgumentException("A part must hold at least one chunk");
        }
        if (preferredPartBytes < MIN_PART_BYTES) {
            // Above the part size is fine: parts are then simply the part size.
            throw new IllegalArgumentException("The preferred part size must be at least 5 MiB: " + preferredPartBytes);
        }
        if (maxParts <= 0 || maxFileBytes <= 0 || userQuotaBytes <= 0 || maxOpenUploadsPerUser <= 0) {
            throw new IllegalArgumentException("Limits must be positive");
        }
        if (bufferBudgetBytes < 2 * partSizeBytes) {
            // One upload alone may hold a part on its way to S3 and the next one filling.
            throw new IllegalArgumentException("The buffer budget must hold at least two parts (" + 2 * partSizeBytes
                    + " bytes): " + bufferBudgetBytes);
        }
    }

    /** The part size for a file: the configured size, grown in whole MiB so the file fits in {@code maxParts}. */
    public long partSizeFor(long fileSize) {
        return Math.max(partSizeBytes, partsNeeded(fileSize));
    }

    /**
     * The length a file's parts are filled to: the preferred length, grown like the part size for a file that would
     * not fit in {@code maxParts} such parts, and never above the file's part size.
     */
    public long preferredPartFor(long fileSize) {
        return Math.min(partSizeFor(fileSize), Math.max(preferredPartBytes, partsNeeded(fileSize)));
    }

    /**
     * The smallest part, in whole MiB, with which {@code fileSize} bytes fit in nine tenths of {@code maxParts} parts:
     * the rest are for the part numbers that interrupted writers reserve and do not use (each writer's numbers start
     * past every earlier writer's, see {@code WriterClaim}).
     */
    private long partsNeeded(long fileSize) {
        long usable = maxParts - maxParts / 10L;
        long needed = (fileSize + usable - 1) / usable;
        long mib = 1024L * 1024;
        return (needed + mib - 1) / mib * mib;
    }
}
