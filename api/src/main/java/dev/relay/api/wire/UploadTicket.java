package dev.relay.api.wire;

/**
 * {@code uploads.create} response: what the client needs to start writing.
 *
 * @param id            the upload id (also the file id once completed)
 * @param size          the declared size
 * @param partSize      the largest storage part of this file (informational: a resume after a server crash
 *                      re-sends at most this; parts are usually shorter)
 * @param offset        the durable offset to start writing from (0 for a new upload)
 * @param maxChunkBytes the largest data payload the server accepts on the write channel
 * @param messageId     the file message's id when the upload was sent to a recipient; otherwise null
 */
public record UploadTicket(String id, long size, long partSize, long offset, int maxChunkBytes, Long messageId) {
}
