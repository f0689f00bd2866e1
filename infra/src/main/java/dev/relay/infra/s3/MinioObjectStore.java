package dev.relay.infra.s3;

import com.google.common.collect.HashMultimap;
import com.google.common.collect.Multimap;
import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.PartFeed;
import dev.relay.streaming.port.StreamedPartUpload;
import dev.relay.streaming.port.StorageUnavailableException;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.ListMultipartUploadsResponse;
import io.minio.ListPartsResponse;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.InvalidResponseException;
import io.minio.errors.ServerException;
import io.minio.messages.Part;
import io.minio.messages.Upload;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;

/**
 * {@link ObjectStore} on the MinIO SDK's asynchronous client (S3 or MinIO, path-style, SigV4).
 *
 * <p>The SDK signs each request on the calling thread, and reading a response body blocks; both therefore run on a
 * bounded scheduler, never on the caller's (Netty) thread. Parts go through {@link PartUploadMinioClient}, which
 * sends them as they arrive, hashing them on OkHttp's threads.
 */
public final class MinioObjectStore implements ObjectStore, StreamedPartUpload {

    private static final Set<String> MISSING = Set.of("NoSuchKey", "NoSuchUpload", "NoSuchObject");
    private static final Set<String> TRANSIENT = Set.of("SlowDown", "InternalError", "ServiceUnavailable",
            "RequestTimeout", "OperationAborted");

    private final PartUploadMinioClient client;
    private final String bucket;
    private final Scheduler scheduler;
    private final Scheduler reads;
    /** Request slots parts may hold while they stream in (see {@link #uploadPart(String, String, int, PartFeed)}). */
    private final Semaphore streams;
    private final int maxStreams;

    /**
     * @param scheduler  where SDK calls are issued (they sign on the calling thread)
     * @param reads      where ranged reads block on their response bodies: a thread of their own each while they
     *                   read, kept apart so that downloads reading ahead never hold up the calls of uploads
     * @param maxStreams parts that may stream in at once, each holding an HTTP request slot for as long as its
     *                   client takes to send it
     */
    public MinioObjectStore(PartUploadMinioClient client, String bucket, Scheduler scheduler, Scheduler reads,
                            int maxStreams) {
        this.client = client;
        this.bucket = bucket;
        this.scheduler = scheduler;
        this.reads = reads;
        this.maxStreams = maxStreams;
        this.streams = new Semaphore(maxStreams);
    }

    /**
     * For an HTTP client with {@code maxConnections} request slots: as many read threads, and half the slots for
     * parts streaming in, so the other requests always find one.
     */
    public MinioObjectStore(PartUploadMinioClient client, String bucket, int maxConnections) {
        this(client, bucket, Schedulers.boundedElastic(), Schedulers.newBoundedElastic(maxConnections,
                Schedulers.DEFAULT_BOUNDED_ELASTIC_QUEUESIZE, "relay-s3-read", 60, true),
                Math.max(1, maxConnections / 2));
    }

    public MinioObjectStore(PartUploadMinioClient client, String bucket) {
        this(client, bucket, Schedulers.boundedElastic(), Schedulers.boundedElastic(), Integer.MAX_VALUE);
    }

    @Override
    public Mono<String> createMultipartUpload(String key, String contentType) {
        return call(() -> client.createMultipartUploadAsync(bucket, null, key, contentTypeHeader(contentType), null))
                .map(r -> r.result().uploadId());
    }

    @Override
    public Mono<String> uploadPart(String key, String uploadId, int partNumber, byte[] data, int length) {
        return call(() -> client.uploadPartAsync(bucket, null, key, data, length, uploadId, partNumber, null, null))
                .map(r -> r.etag());
    }

    @Override
    public Mono<String> uploadPart(String key, String uploadId, int partNumber, PartFeed feed) {
        // A streaming part holds its request slot while its client sends, which for a slow or rate-capped client
        // takes minutes: unbounded, such parts would take every slot, and aborts, completions, reads and whole
        // parts would wait behind them. Past the bound it fails at once, and the engine sends the part whole.
        return Mono.defer(() -> {
            if (!streams.tryAcquire()) {
                return Mono.error(new IllegalStateException("All " + maxStreams + " request slots for parts"
                        + " streaming in are taken"));
            }
            return call(() -> client.uploadPartAsync(bucket, key, uploadId, partNumber, feed))
                    .map(r -> r.etag())
                    .doFinally(signal -> streams.release());
        });
    }

    @Override
    public Mono<String> uploadWholePart(String key, String uploadId, int partNumber, PartFeed part) {
        // Complete: nothing to wait for, so no streaming slot; read from the feed as it is sent, never copied whole.
        return call(() -> client.uploadPartAsync(bucket, key, uploadId, partNumber, part)).map(r -> r.etag());
    }

    @Override
    public Mono<Void> completeMultipartUpload(String key, String uploadId, List<StoredPart> parts) {
        Part[] array = parts.stream().map(p -> new Part(p.number(), p.etag())).toArray(Part[]::new);
        return call(() -> client.completeMultipartUploadAsync(bucket, null, key, uploadId, array, null, null)).then();
    }

    @Override
    public Mono<Void> abortMultipartUpload(String key, String uploadId) {
        return call(() -> client.abortMultipartUploadAsync(bucket, null, key, uploadId, null, null))
                .then()
                .onErrorResume(MinioObjectStore::isMissing, e -> Mono.empty());
    }

    @Override
    public Flux<ListedPart> listParts(String key, String uploadId) {
        return partsPage(key, uploadId, 0)
                .expand(page -> page.result().isTruncated()
                        ? partsPage(key, uploadId, page.result().nextPartNumberMarker()) : Mono.empty())
                .flatMapIterable(page -> page.result().partList())
                .map(part -> new ListedPart(part.partNumber(), unquoted(part.etag()), part.partSize()));
    }

    private Mono<ListPartsResponse> partsPage(String key, String uploadId, int marker) {
        return call(() -> client.listPartsAsync(bucket, null, key, 1000, marker == 0 ? null : marker, uploadId,
                null, null));
    }

    /** S3 quotes ETags in listings; the engine records them as the part uploads return them. */
    private static String unquoted(String etag) {
        return etag != null && etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")
                ? etag.substring(1, etag.length() - 1) : etag;
    }

    @Override
    public Flux<PendingMultipart> listMultipartUploads(String prefix) {
        return listPage(prefix, null, null)
                .expand(page -> page.result().isTruncated()
                        ? listPage(prefix, page.result().nextKeyMarker(), page.result().nextUploadIdMarker())
                        : Mono.empty())
                .flatMapIterable(page -> page.result().uploads())
                .map(MinioObjectStore::pending);
    }

    private Mono<ListMultipartUploadsResponse> listPage(String prefix, String keyMarker, String uploadIdMarker) {
        return call(() -> client.listMultipartUploadsAsync(bucket, null, null, null, keyMarker, 1000, prefix,
                uploadIdMarker, null, null));
    }

    private static PendingMultipart pending(Upload upload) {
        return new PendingMultipart(upload.objectName(), upload.uploadId(),
                upload.initiated() == null ? null : upload.initiated().toInstant());
    }

    @Override
    public Mono<Void> putObject(String key, byte[] data, int length, String contentType) {
        return call(() -> client.putObject(PutObjectArgs.builder()
                .bucket(bucket)
                .object(key)
                .stream(new ByteArrayInputStream(data, 0, length), length, -1)
                .contentType(contentType == null ? "application/octet-stream" : contentType)
                .build())).then();
    }

    @Override
    public Mono<Void> putObject(String key, PartFeed data, String contentType) {
        return call(() -> client.putObjectAsync(bucket, key, data,
                contentType == null ? "application/octet-stream" : contentType)).then();
    }

    @Override
    public Mono<byte[]> getObjectBytes(String key, int maxBytes) {
        return call(() -> client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build()))
                .publishOn(scheduler)
                .map(response -> {
                    try (InputStream in = response) {
                        return in.readNBytes(maxBytes);
                    } catch (IOException e) {
                        throw new StorageUnavailableException("Reading " + key + " failed: " + e.getMessage(), e);
                    }
                });
    }

    @Override
    public Flux<ByteBuffer> read(String key, long offset, long length, int chunkBytes) {
        return Flux.<ByteBuffer, RangeReader>generate(
                        () -> new RangeReader(key, offset, length),
                        (reader, sink) -> {
                            ByteBuffer next = reader.next(chunkBytes);
                            if (next == null) {
                                sink.complete();
                            } else {
                                sink.next(next);
                            }
                            return reader;
                        },
                        RangeReader::close)
                .subscribeOn(reads)
                // Closing a response that is not read to its end makes OkHttp read (discard) the rest: never on
                // the canceller's thread, which is often a Netty event loop.
                .cancelOn(reads);
    }

    @Override
    public Mono<Optional<Long>> objectSize(String key) {
        return call(() -> client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build()))
                .map(stat -> Optional.of(stat.size()))
                .onErrorResume(MinioObjectStore::isMissing, e -> Mono.just(Optional.empty()));
    }

    @Override
    public Mono<Void> deleteObject(String key) {
        return call(() -> client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build()))
                .then()
                .onErrorResume(MinioObjectStore::isMissing, e -> Mono.empty());
    }

    /** Issues an SDK call on the bounded scheduler and maps its failures. */
    private <T> Mono<T> call(Callable<CompletableFuture<T>> request) {
        return Mono.defer(() -> {
                    try {
                        return Mono.fromFuture(request.call());
                    } catch (Exception e) {
                        return Mono.error(e);
                    }
                })
                .subscribeOn(scheduler)
                .onErrorMap(MinioObjectStore::translate);
    }

    private static Multimap<String, String> contentTypeHeader(String contentType) {
        Multimap<String, String> headers = HashMultimap.create();
        headers.put("Content-Type", contentType == null ? "application/octet-stream" : contentType);
        return headers;
    }

    static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    static Throwable translate(Throwable e) {
        Throwable cause = unwrap(e);
        if (cause instanceof StorageUnavailableException) {
            return cause;
        }
        boolean transientFailure = cause instanceof IOException || cause instanceof ServerException
                || cause instanceof InvalidResponseException
                || (cause instanceof ErrorResponseException ere && (TRANSIENT.contains(ere.errorResponse().code())
                || ere.response() != null && ere.response().code() >= 500));
        if (transientFailure) {
            return new StorageUnavailableException("S3 is unavailable: " + cause, cause);
        }
        return cause;
    }

    static boolean isMissing(Throwable e) {
        Throwable cause = unwrap(e);
        return cause instanceof ErrorResponseException ere && MISSING.contains(ere.errorResponse().code());
    }

    /**
     * Reads a byte range sequentially with one ranged GET, opening a new one from the current position when the
     * previous connection failed (for example after a long pause during which the server dropped it).
     */
    private final class RangeReader {
        private static final int ATTEMPTS = 3;

        private final String key;
        private final long end;
        private long position;
        private GetObjectResponse stream;

        RangeReader(String key, long offset, long length) {
            this.key = key;
            this.position = offset;
            this.end = offset + length;
        }

        ByteBuffer next(int chunkBytes) {
            if (position >= end) {
                return null;
            }
            int want = (int) Math.min(chunkBytes, end - position);
            for (int attempt = 1; ; attempt++) {
                try {
                    if (stream == null) {
                        stream = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key)
                                .offset(position).length(end - position).build()).get();
                    }
                    byte[] bytes = stream.readNBytes(want);
                    if (bytes.length == 0) {
                        throw new IOException("Object " + key + " ended at byte " + position + ", before " + end);
                    }
                    position += bytes.length;
                    return ByteBuffer.wrap(bytes);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StorageUnavailableException("Interrupted while reading " + key, e);
                } catch (Exception e) {
                    close();
                    Throwable failure = translate(e);
                    if (!(failure instanceof StorageUnavailableException) || attempt == ATTEMPTS) {
                        throw failure instanceof RuntimeException re ? re : new IllegalStateException(failure);
                    }
                }
            }
        }

        void close() {
            if (stream != null) {
                try {
                    stream.close();
                } catch (IOException ignored) {
                    // The connection is being discarded either way.
                }
                stream = null;
            }
        }
    }
}
