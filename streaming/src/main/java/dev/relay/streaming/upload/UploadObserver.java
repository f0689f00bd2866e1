package dev.relay.streaming.upload;

import dev.relay.api.UploadState;

/**
 * Hears what happens to uploads, for whoever else follows them (the recipient of a file message). Called from
 * engine threads: implementations must return at once and never block.
 */
public interface UploadObserver {

    UploadObserver NONE = new UploadObserver() {
    };

    /** Progress of an open write channel: a few times per second at most, and on pause and resume. */
    default void progress(String uploadId, UploadState state, long received, long offset, long size) {
    }

    /** The write channel of the upload on this node moved to {@code state} (for metrics and tests). */
    default void sessionState(String uploadId, SessionState state) {
    }

    /** The upload's persisted state changed (paused, resumed, completed, failed, cancelled, expired, deleted). */
    default void stateChanged(String uploadId) {
    }
}
