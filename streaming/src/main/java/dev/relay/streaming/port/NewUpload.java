package dev.relay.streaming.port;

/** What {@link TransferRepository#create} stores for a new upload. */
public record NewUpload(String id, String ownerId, String name, long size, String contentType,
                        String expectedSha256, long partSize, String objectKey) {
}
