package dev.relay.api.wire;

import dev.relay.api.UploadState;

/**
 * One element of the {@code uploads.{id}.write} response stream.
 *
 * @param type     what happened
 * @param received bytes received so far (absolute offset of the next byte the server expects)
 * @param offset   the durable offset
 * @param state    the upload's state
 * @param sha256   the server's SHA-256 of the file, on COMPLETED
 */
public record UploadEvent(Type type, long received, long offset, UploadState state, String sha256) {

    public enum Type {
        /** The channel is accepted; {@code offset} is where the server expects the first byte. */
        STARTED,
        /** Bytes arrived or the durable offset advanced. At most a few per second. */
        PROGRESS,
        /** The upload was paused: no more credit is granted until it is resumed. */
        PAUSED,
        /** The upload was resumed: credit flows again. */
        RESUMED,
        /** All bytes are stored, the file is readable; the stream completes after this event. */
        COMPLETED
    }
}
