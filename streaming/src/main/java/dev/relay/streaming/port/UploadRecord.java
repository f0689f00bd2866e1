package dev.relay.streaming.port;

import dev.relay.api.UploadState;

import java.time.Instant;

/**
 * One upload as persisted. The durable offset is {@code partsBytes + tailBytes}: the bytes in recorded S3 parts
 * plus those staged in the tail object, which always starts where the parts end.
 *
 * @param digestState the SHA-256 state after exactly {@link #durableOffset()} bytes, so a resume on any node or
 *                    after a restart continues the whole-file digest without re-reading stored data
 * @param recipientId the user the file is sent to (a file message), or null
 * @param tailEpoch   the epoch of the writer that staged the tail (its object is named by it, see
 *                    {@code ObjectKeys.tail}); 0 for a tail staged before tails were named so
 * @param writerEpoch bumped by every write channel that claims the upload; a stale writer's records are refused
 * @param writerNode  the node of the last writer's claim ({@link NodeBus#nodeId}), or null if never claimed
 * @param rateLimit   the upload's rate cap in bytes per second, 0 for none
 */
public record UploadRecord(String id, String ownerId, String recipientId, String name, long size, String contentType,
                           String expectedSha256, UploadState state, long partSize, String objectKey,
                           String s3UploadId, long partsBytes, long tailBytes, long tailEpoch, byte[] digestState,
                           String sha256,
                           String error, long writerEpoch, String writerNode, long rateLimit,
                           Instant createdAt, Instant updatedAt) {

    public long durableOffset() {
        return partsBytes + tailBytes;
    }

}
