package dev.relay.streaming.port;

/**
 * What {@link UploadRepository#create} stores for a new upload.
 *
 * @param recipientId the user the file is sent to (a file message), or null
 */
public record NewUpload(String id, String ownerId, String name, long size, String contentType,
                        String expectedSha256, long partSize, String objectKey, String recipientId) {

    /** An upload kept to its owner (no recipient). */
    public NewUpload(String id, String ownerId, String name, long size, String contentType, String expectedSha256,
                     long partSize, String objectKey) {
        this(id, ownerId, name, size, contentType, expectedSha256, partSize, objectKey, null);
    }
}
