package dev.relay.streaming.download;

/**
 * How one download may use memory and S3.
 *
 * @param windowBytes   the most one download may hold: bytes read from S3 and not yet written to its client's
 *                      socket, read-ahead included. A client that asks for everything and reads nothing costs this
 *                      (plus the kernel's socket buffers), whatever its request-n
 * @param rangedReads   ranged GETs one download keeps in flight to read ahead, each of {@code windowBytes /
 *                      rangedReads} bytes (one S3 connection reads at most about a connection's speed)
 * @param chunkBytes    payload size of download chunks
 */
public record DownloadSettings(long windowBytes, int rangedReads, int chunkBytes) {

    public DownloadSettings {
        if (chunkBytes <= 0 || rangedReads <= 0) {
            throw new IllegalArgumentException("The download chunk size and ranged reads must be positive: "
                    + chunkBytes + ", " + rangedReads);
        }
        if (windowBytes < (long) rangedReads * chunkBytes) {
            throw new IllegalArgumentException("The download window (" + windowBytes + " bytes) must hold a chunk ("
                    + chunkBytes + " bytes) for each of its " + rangedReads + " ranged reads");
        }
    }

    /** The length of each ranged GET: the window shared by the reads, whole chunks only. */
    public long segmentBytes() {
        return windowBytes / rangedReads / chunkBytes * chunkBytes;
    }
}
