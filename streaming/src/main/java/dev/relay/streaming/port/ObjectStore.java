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
 * ({@link StreamedPartUpload}). Only transient failures (unreachable, 5xx, throttling) are signalled as
 * {@link StorageUnavailableException}, which the engine retries; S3's refusals (no such key or upload, a wrong ETag)
 * are not. What the engine relies on is stated as tests in the test jar's {@code ObjectStoreContract}.
 */
public interface ObjectStore {

    /** Starts a multipart upload for {@code key}; returns its upload id. */
    Mono<String> createMultipartUpload(String key, String contentType);

    /** Stores {@code data[0, length)} as part {@code partNumber}; returns the part's ETag. */
    Mono<String> uploadPart(String key, String uploadId, int partNumber, byte[] data, int length);

    /**
     * Stores the complete part {@code part} ({@link PartFeed#complete()}) as part {@code partNumber}; returns its
     * ETag. This default reads it into memory first; a store that can send from the feed does so instead.
     */
    default Mono<String> uploadWholePart(String key, String uploadId, int partNumber, PartFeed part) {
        return Mono.fromCallable(part::readAll)
                .flatMap(bytes -> uploadPart(key, uploadId, partNumber, bytes, bytes.length));
    }

    /**
     * Assembles the named parts (in ascending number order, as S3 requires) into the object {@code key}. Fails if a
     * part was not stored or has another ETag, or if a part other than the last is under 5 MiB (S3's minimum).
     */
    Mono<Void> completeMultipartUpload(String key, String uploadId, List<StoredPart> parts);

    /** Aborts a multipart upload; an upload that no longer exists is not an error. */
    Mono<Void> abortMultipartUpload(String key, String uploadId);

    /** The parts S3 holds for a multipart upload in progress, in ascending number order, with their ETags and sizes. */
    Flux<ListedPart> listParts(String key, String uploadId);

    /** Multipart uploads in progress whose key starts with {@code prefix}. */
    Flux<PendingMultipart> listMultipartUploads(String prefix);

    /** Writes a whole (small) object. */
    Mono<Void> putObject(String key, byte[] data, int length, String contentType);

    /** Writes a whole (small) object from a complete feed; this default reads it into memory first. */
    default Mono<Void> putObject(String key, PartFeed data, String contentType) {
        return Mono.fromCallable(data::readAll).flatMap(bytes -> putObject(key, bytes, bytes.length, contentType));
    }

    /** Reads a whole (small) object into memory; of a longer one, only the first {@code maxBytes}. */
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

    record ListedPart(int number, String etag, long size) {
    }

    record PendingMultipart(String key, String uploadId, Instant initiated) {
    }
}
