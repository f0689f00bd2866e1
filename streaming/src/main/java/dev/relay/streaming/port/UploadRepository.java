package dev.relay.streaming.port;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Instant;
import java.util.Collection;

/**
 * Persistence of uploads and their parts, for the commands on them. Every method that moves an upload forward is
 * conditional (on its state, and for writers on their epoch) and reports whether it took effect, so concurrent
 * writers, cancels and expiry can never overwrite each other's outcome. Listing and visibility for readers are
 * {@link FileCatalog}'s. What the engine relies on is stated as tests in the test jar's
 * {@code UploadRepositoryContract}.
 */
public interface UploadRepository {

    /**
     * Inserts a new upload if the owner stays within {@code limits} (checked under a per-user lock); otherwise fails
     * with a {@code TransferException} of code QUOTA_EXCEEDED or TOO_MANY_UPLOADS.
     */
    Mono<UploadRecord> create(NewUpload upload, UploadLimits limits);

    Mono<UploadRecord> find(String id);

    /** The upload if it belongs to {@code ownerId}; empty otherwise (others' uploads do not exist for a caller). */
    Mono<UploadRecord> findOwned(String id, String ownerId);

    /** The uploads among {@code ids} that exist, in no particular order. */
    Flux<UploadRecord> findAll(Collection<String> ids);

    /**
     * Bumps the writer epoch of an open upload, records {@code nodeId} as the writer's node, and reserves the next
     * {@code partNumbers} S3 part numbers for the new writer, past every number an earlier writer reserved (so a
     * stale writer's late part can never replace one of the new writer's); empty if the upload is not open.
     */
    Mono<WriterClaim> claimWriter(String id, int partNumbers, String nodeId);

    /**
     * Records the S3 multipart upload id of an upload that has none yet (it is created lazily, with the first part),
     * if {@code epoch} is still the writer epoch.
     */
    Mono<Boolean> attachMultipart(String id, long epoch, String s3UploadId);

    /**
     * Records a stored part and the new durable point (the tail, if any, is consumed by the part), and extends the
     * writer's part numbers through {@code reserveThrough} (a reservation never shrinks here). Applies only if the
     * upload is open and {@code epoch} is still the writer epoch.
     */
    Mono<Boolean> recordPart(String id, long epoch, PartRecord part, DurablePoint point, int reserveThrough);

    /**
     * Records a staged tail object as the new durable point, and {@code epoch} as the epoch it was staged under,
     * under the same conditions as {@link #recordPart} and only after exactly {@code point.partsBytes()}.
     */
    Mono<Boolean> recordTail(String id, long epoch, DurablePoint point);

    /**
     * A writer whose channel closed lets go of the upload: the reservation of part numbers ends at {@code lastUsed}
     * (it gives back those it never used) and no node holds the upload any more ({@code writerNode} null), if
     * {@code epoch} is still the writer epoch and nothing past {@code lastUsed} is given back that it did not
     * reserve. Reports whether it applied.
     */
    Mono<Boolean> releaseWriter(String id, long epoch, int lastUsed);

    /** Sets the rate cap (bytes per second, 0 for none) of an open upload; reports whether it is open. */
    Mono<Boolean> setRateLimit(String id, long bytesPerSecond);

    /** The recorded parts in part-number order. */
    Flux<PartRecord> parts(String id);

    /** Moves an open upload to COMPLETED with its SHA-256, if {@code epoch} is still the writer epoch. */
    Mono<Boolean> complete(String id, long epoch, String sha256);

    /**
     * Moves the upload to {@code target} if the current state allows it ({@link UploadState#canMoveTo}); for FAILED
     * the error is recorded too. Returns the record after the change, or empty if the transition did not apply.
     */
    Mono<UploadRecord> transition(String id, UploadState target, ErrorCode errorCode, String errorMessage);

    /** At most {@code limit} open uploads whose last change is older than {@code before}, the oldest first. */
    Flux<UploadRecord> findIdleOpen(Instant before, int limit);
}
