package dev.relay.api.wire;

import dev.relay.api.UploadState;

/**
 * Live progress of a file message's upload, as both its sender and its recipient see it (a few per second at most).
 *
 * @param received bytes the server has received
 * @param offset   the durable offset
 */
public record TransferProgress(String uploadId, long messageId, String from, String to, UploadState state,
                               long received, long offset, long size) {
}
