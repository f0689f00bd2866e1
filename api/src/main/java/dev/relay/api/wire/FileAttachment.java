package dev.relay.api.wire;

import dev.relay.api.UploadState;

/** The file of a file message, with its transfer's current state. */
public record FileAttachment(String uploadId, String name, long size, String contentType, UploadState state,
                             long offset, String sha256) {
}
