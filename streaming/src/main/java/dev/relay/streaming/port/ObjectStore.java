package dev.relay.streaming.port;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The S3 calls the engine uses, and nothing more. Implementations must not block the calling thread: every method
 * returns at once and completes on the store's own threads. A store that can do more implements the capability too
 * ({@link StreamedPartUpload}).
 */
public interface ObjectStore {

    /** Starts a multipart upload for {@code key}; returns its upload id. */
    Mono<String> createMultipartUpload(String key, String contentType);

    /** Stores {@code data[0, length)} as part {@code partNumber}; returns the part's ETag. */
    Mono<String> uploadPart(String key, String uploadId, int partNumber, byte[] data, int length);

    /** Assembles the parts into the object {@code key}. */
    Mono<Void> completeMultipartUpload(String key, String uploadId, List<StoredPart> parts);

    /** Aborts a multipart upload; an upload that no longer exists is not an error. */
    Mono<Void> abortMultipartUpload(String key, String uploadId);

    /** Multipart uploads in progress whose key starts with {@code prefix}. */
    Flux<PendingMultipart> listMultipartUploads(String prefix);

    /** Writes a whole (small) object. */
    Mono<Void> putObject(String key, byte[] data, int length, String contentType);

    /** Reads a whole object of at most {@code maxBytes} into memory. */
    Mono<byte[]> getObjectBytes(String key, int maxBytes);

    /**
     * Reads {@code length} bytes of {@code key} from {@code offset}, in chunks of at most {@code chunkBytes}. Demand
     * drives reading: nothing is fetched beyond what the subscriber requested (plus transport buffers).
     */
    Flux<ByteBuffer> read(String key, long offset, long length, int chunkBytes);

    /** The object's size, or empty if there is no such object. */
    Mono<Optional<Long>> objectSize(String key);

    /** Deletes an object; a missing object is not an error. */
    Mono<Void> deleteObject(String key);

    record StoredPart(int number, String etag) {
    }

    record PendingMultipart(String key, String uploadId, Instant initiated) {
    }
}
