package dev.relay.api.wire;

import dev.relay.api.UploadState;

import java.time.Instant;

/**
 * The state of one upload ({@code uploads.{id}}, {@code uploads.list}, pause/resume/cancel responses).
 *
 * @param offset  the durable offset: every byte before it is stored and recorded, and survives a restart
 * @param sha256  the server's SHA-256 of the stored bytes, once COMPLETED
 * @param error   why the upload FAILED, if it did
 */
public record UploadInfo(String id, String name, long size, String contentType, UploadState state, long offset,
                         long partSize, String expectedSha256, String sha256, String error, Instant createdAt,
                         Instant updatedAt) {
}
