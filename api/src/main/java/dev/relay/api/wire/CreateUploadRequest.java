package dev.relay.api.wire;

/**
 * {@code uploads.create} request.
 *
 * @param name        the file name shown to users (no path; at most 255 characters)
 * @param size        the exact size in bytes
 * @param contentType optional MIME type
 * @param sha256      optional lowercase hex SHA-256 of the whole file; completion fails on mismatch
 * @param recipient   optional username to send the file to: a file message appears in the conversation with them
 */
public record CreateUploadRequest(String name, long size, String contentType, String sha256, String recipient) {

    /** An upload kept to oneself (no recipient). */
    public CreateUploadRequest(String name, long size, String contentType, String sha256) {
        this(name, size, contentType, sha256, null);
    }

    public CreateUploadRequest withRecipient(String username) {
        return new CreateUploadRequest(name, size, contentType, sha256, username);
    }
}
