package dev.relay.cli.config;

import java.time.Instant;

/**
 * An upload {@code relay send} started and has not seen complete: which local file (by path, size and
 * modification time) it carries, so that sending the same unchanged file again continues it.
 */
public record PendingUpload(String path, long size, long lastModifiedMillis, String uploadId, int maxChunkBytes,
                            String server, String username, Instant createdAt) {

    /** Same file on the same account, whatever its content now. */
    public boolean sameSlot(String path, String server, String username) {
        return this.path.equals(path) && this.server.equals(server) && this.username.equals(username);
    }

    /** The file still looks the way it did when the upload was created (what rsync and make trust too). */
    public boolean unchanged(long size, long lastModifiedMillis) {
        return this.size == size && this.lastModifiedMillis == lastModifiedMillis;
    }
}
