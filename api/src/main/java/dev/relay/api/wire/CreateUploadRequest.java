package dev.relay.api.wire;

/**
 * {@code uploads.create} request.
 *
 * @param name        the file name shown to users (no path; at most 255 characters)
 * @param size        the exact size in bytes
 * @param contentType optional MIME type
 * @param sha256      optional lowercase hex SHA-256 of the whole file; completion fails on mismatch
 */
public record CreateUploadRequest(String name, long size, String contentType, String sha256) {
}
