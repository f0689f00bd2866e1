package dev.relay.streaming.upload;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.ObjectStore.ListedPart;
import dev.relay.streaming.port.ObjectStore.StoredPart;
import dev.relay.streaming.port.PartRecord;
import dev.relay.streaming.port.StorageUnavailableException;
import dev.relay.streaming.port.UploadRecord;
import dev.relay.streaming.port.UploadRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What happens once every byte of an upload is recorded: the whole-file SHA-256 is compared with the declared one
 * (a mismatch fails the upload and discards what was stored), the parts S3 holds are checked against the recorded
 * ones (number, ETag, size: the digest covers the bytes received, not the bytes stored), the parts are assembled
 * into the object, and the upload is recorded COMPLETED, only if this writer's epoch is still current.
 */
final class UploadCompletion {

    private static final Logger log = LoggerFactory.getLogger(UploadCompletion.class);

    private final String id;
    private final String objectKey;
    private final long size;
    private final long epoch;
    private final String expectedSha256;
    private final ObjectStore store;
    private final UploadRepository repo;
    private final Supplier<Retry> retry;
    private final TailStage tail;
    private final SessionEvents events;
    private final Executor serial;

    UploadCompletion(UploadRecord upload, long epoch, ObjectStore store, UploadRepository repo,
                     Supplier<Retry> retry, TailStage tail, SessionEvents events, Executor serial) {
        this.id = upload.id();
        this.objectKey = upload.objectKey();
        this.size = upload.size();
        this.epoch = epoch;
        this.expectedSha256 = upload.expectedSha256();
        this.store = store;
        this.repo = repo;
        this.retry = retry;
        this.tail = tail;
        this.events = events;
        this.serial = serial;
    }

    /**
     * Completes the upload; {@code done} runs on the serial executor with null once it is COMPLETED (the channel has
     * its COMPLETED event), or with why it is not (see {@link #outcome}).
     */
    void complete(String sha256, String s3UploadId, Consumer<TransferException> done) {
        outcome(sha256, s3UploadId).subscribe(null, e -> serial.execute(() -> {
            TransferException error = e instanceof TransferException te ? te
                    : SessionErrors.storage(id, "complete the upload", e, size);
            if (error.code() == ErrorCode.CHECKSUM_MISMATCH || error.code() == ErrorCode.STORAGE_INCONSISTENT) {
                events.stateChanged();
            }
            done.accept(error);
        }), () -> serial.execute(() -> {
            tail.delete();
            events.completed(sha256);
            done.accept(null);
        }));
    }

    /**
     * Completes the upload whose bytes have SHA-256 {@code sha256} from the multipart upload {@code s3UploadId}.
     * Empty when it is COMPLETED; otherwise it fails with CHECKSUM_MISMATCH or STORAGE_INCONSISTENT (the upload is
     * FAILED), TAKEN_OVER (another writer holds it, or it is no longer open), or the storage failure as it came ({@link
     * #complete} says how far the upload is durable).
     */
    private Mono<Void> outcome(String sha256, String s3UploadId) {
        if (expectedSha256 != null && !expectedSha256.equalsIgnoreCase(sha256)) {
            String message = "The received bytes have SHA-256 " + sha256 + ", not the declared " + expectedSha256
                    + "; the upload failed. Check the file and upload it again.";
            return repo.transition(id, UploadState.FAILED, ErrorCode.CHECKSUM_MISMATCH, message)
                    .then(discard(s3UploadId))
                    .doOnError(e -> log.warn("Upload {}: cleanup after a checksum mismatch failed", id, e))
                    .onErrorComplete()
                    .then(Mono.error(new TransferException(ErrorCode.CHECKSUM_MISMATCH, message)));
        }
        return assemble(s3UploadId)
                .retryWhen(retry.get())
                .then(repo.complete(id, epoch, sha256).retryWhen(retry.get()))
                .flatMap(done -> done ? Mono.<Void>empty() : Mono.error(SessionErrors.lostWriter(id)))
                .onErrorResume(Inconsistent.class, e -> {
                    String message = "A stored part of upload " + id + " is not the one recorded (" + e.getMessage()
                            + "); the upload failed rather than complete a file that differs from what was sent."
                            + " Send the file again.";
                    log.error("Upload {}: {}", id, message);
                    return repo.transition(id, UploadState.FAILED, ErrorCode.STORAGE_INCONSISTENT, message)
                            .then(discard(s3UploadId))
                            .onErrorComplete()
                            .then(Mono.error(new TransferException(ErrorCode.STORAGE_INCONSISTENT, message)));
                });
    }

    private Mono<Void> assemble(String s3UploadId) {
        if (size == 0) {
            return store.putObject(objectKey, new byte[0], 0, null);
        }
        // A retry after a crash may find the multipart upload already completed: the object is then there.
        return repo.parts(id)
                .collectList()
                .flatMap(parts -> verify(s3UploadId, parts).then(store.completeMultipartUpload(objectKey, s3UploadId,
                        parts.stream().map(p -> new StoredPart(p.number(), p.etag())).toList())))
                .onErrorResume(e -> !(e instanceof StorageUnavailableException) && !(e instanceof Inconsistent),
                        e -> store.objectSize(objectKey).flatMap(stored -> stored.isPresent() && stored.get() == size
                                ? Mono.empty() : Mono.error(e)));
    }

    /**
     * Fails with {@link Inconsistent} unless S3 holds every recorded part with its recorded ETag and size. S3 drops
     * the parts it holds beyond those on completion (a stale writer's, under numbers of its own).
     */
    private Mono<Void> verify(String s3UploadId, List<PartRecord> recorded) {
        return store.listParts(objectKey, s3UploadId)
                .collectMap(ListedPart::number)
                .flatMap(stored -> {
                    for (PartRecord part : recorded) {
                        ListedPart found = stored.get(part.number());
                        if (found == null) {
                            return Mono.error(new Inconsistent("part " + part.number() + " is missing"));
                        }
                        if (!found.etag().equalsIgnoreCase(part.etag()) || found.size() != part.size()) {
                            return Mono.error(new Inconsistent("part " + part.number() + " has ETag " + found.etag()
                                    + " and " + found.size() + " bytes, recorded " + part.etag() + " and "
                                    + part.size()));
                        }
                    }
                    return Mono.<Void>empty();
                });
    }

    /** Every byte was recorded; the parts are complete and there is no tail left to delete. */
    private Mono<Void> discard(String s3UploadId) {
        return s3UploadId == null ? Mono.empty() : store.abortMultipartUpload(objectKey, s3UploadId);
    }

    /** S3 does not hold the parts the database recorded. */
    private static final class Inconsistent extends RuntimeException {
        Inconsistent(String message) {
            super(message, null, false, false);
        }
    }
}
