package dev.relay.streaming.download;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What downloads cost the service, for metrics and tests: bytes read from the store, and bytes read but not yet
 * written to a client's socket (what downloads hold in memory right now, across all streams).
 */
public final class DownloadStats {

    private final AtomicLong storeBytes = new AtomicLong();
    private final AtomicLong heldBytes = new AtomicLong();

    /** Bytes read from the store for downloads since start. */
    public long storeBytes() {
        return storeBytes.get();
    }

    /** Bytes read from the store and not yet written to a socket (or dropped), over all downloads. */
    public long heldBytes() {
        return heldBytes.get();
    }

    void read(long bytes) {
        storeBytes.addAndGet(bytes);
        heldBytes.addAndGet(bytes);
    }

    void released(long bytes) {
        heldBytes.addAndGet(-bytes);
    }
}
