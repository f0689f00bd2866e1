package dev.relay.streaming.flow;

/**
 * How many chunks an upload may be granted now. Credits (RSocket request-n) count payloads, not bytes, so each
 * credit is assumed to carry a full chunk: the server then never receives more than it has room for, and never
 * more than one window is in flight.
 *
 * @param maxChunkBytes the announced maximum chunk size
 */
public record CreditPolicy(int maxChunkBytes) {

    public CreditPolicy {
        if (maxChunkBytes <= 0) {
            throw new IllegalArgumentException("The chunk size must be positive");
        }
    }

    /** A window in bytes as whole chunks (at least one). */
    public long windowCredits(long windowBytes) {
        return Math.max(1, windowBytes / maxChunkBytes);
    }

    /**
     * @param outstanding    credits granted and not yet used
     * @param windowBytes    the credit window
     * @param freeBytes      bytes the session can take without waiting for storage
     * @param remainingBytes bytes the file still lacks; more are refused anyway, so when they all fit the room does
     *                       not limit credit (otherwise a last part smaller than a chunk could never be granted)
     * @param paused         whether the upload is paused
     * @return how many more credits to grant now (0 or more)
     */
    public long grantable(long outstanding, long windowBytes, long freeBytes, long remainingBytes, boolean paused) {
        if (paused || remainingBytes <= 0) {
            return 0;
        }
        long windowCredits = windowCredits(windowBytes);
        long byRoom = freeBytes >= remainingBytes ? windowCredits : freeBytes / maxChunkBytes;
        return Math.max(0, Math.min(windowCredits, byRoom) - outstanding);
    }
}
