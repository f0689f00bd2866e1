package dev.relay.streaming.upload;

import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.UploadRepository;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The S3 multipart upload behind an upload, created lazily with the first part (an abandoned empty upload costs S3
 * nothing) and attached to the upload's record only by the current writer; concurrent parts share one creation.
 */
final class MultipartUpload {

    private final String id;
    private final String objectKey;
    private final long epoch;
    private final ObjectStore store;
    private final UploadRepository repo;
    private final Executor serial;
    private final Supplier<Retry> retry;
    private volatile String s3UploadId;
    private Mono<String> creating;

    MultipartUpload(String id, String objectKey, long epoch, String s3UploadId, ObjectStore store,
                    UploadRepository repo, Executor serial, Supplier<Retry> retry) {
        this.id = id;
        this.objectKey = objectKey;
        this.epoch = epoch;
        this.s3UploadId = s3UploadId;
        this.store = store;
        this.repo = repo;
        this.serial = serial;
        this.retry = retry;
    }

    /** The multipart upload's id, or null while none was created. */
    String id() {
        return s3UploadId;
    }

    /** The id, creating the multipart upload first if there is none; called on the serial executor. */
    Mono<String> get() {
        if (s3UploadId != null) {
            return Mono.just(s3UploadId);
        }
        if (creating == null) {
            creating = store.createMultipartUpload(objectKey, null)
                    .retryWhen(retry.get())
                    .flatMap(uploadId -> repo.attachMultipart(id, epoch, uploadId)
                            .retryWhen(retry.get())
                            .flatMap(ok -> ok ? Mono.just(uploadId) : store.abortMultipartUpload(objectKey, uploadId)
                                    .then(Mono.error(SessionErrors.lostWriter(id)))))
                    .doOnNext(uploadId -> s3UploadId = uploadId)
                    .doOnError(e -> serial.execute(() -> creating = null))
                    .cache();
        }
        return creating;
    }
}
