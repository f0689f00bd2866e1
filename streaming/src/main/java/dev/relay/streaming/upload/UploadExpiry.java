package dev.relay.streaming.upload;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.TransferSettings;
import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.UploadRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.time.Instant;

/**
 * Ends uploads nobody writes to any more and removes S3 multipart uploads nothing refers to. Run it on a schedule;
 * each sweep is idempotent and safe to run on several nodes at once (state transitions are conditional).
 */
public final class UploadExpiry {

    private static final Logger log = LoggerFactory.getLogger(UploadExpiry.class);

    /** A multipart upload younger than this may belong to an upload whose row is being written: leave it. */
    private static final Duration ORPHAN_GRACE = Duration.ofHours(1);
    /** Idle uploads read at once by a sweep. */
    static final int PAGE = 500;

    private final UploadService uploads;
    private final UploadRepository repo;
    private final ObjectStore store;
    private final TransferSettings settings;

    public UploadExpiry(UploadService uploads, UploadRepository repo, ObjectStore store, TransferSettings settings) {
        this.uploads = uploads;
        this.repo = repo;
        this.store = store;
        this.settings = settings;
    }

    /** Expires idle uploads and aborts orphaned multipart uploads; emits how many of each. */
    public Mono<Result> sweep(Instant now) {
        Mono<Long> expired = expireIdle(now.minus(settings.expireAfter()), 0);
        Mono<Long> orphans = store.listMultipartUploads(ObjectKeys.FILES_PREFIX)
                .filter(p -> p.initiated() == null || p.initiated().isBefore(now.minus(ORPHAN_GRACE)))
                .concatMap(p -> {
                    String id = ObjectKeys.uploadIdOf(p.key());
                    Mono<Boolean> referenced = id == null ? Mono.just(false) : repo.find(id)
                            .map(u -> u.state().isOpen() && p.uploadId().equals(u.s3UploadId()))
                            .defaultIfEmpty(false);
                    return referenced.flatMap(inUse -> inUse ? Mono.empty()
                            : store.abortMultipartUpload(p.key(), p.uploadId()).thenReturn(p));
                })
                .doOnNext(p -> log.info("Aborted orphaned multipart upload {} of {}", p.uploadId(), p.key()))
                .count();
        return expired.zipWith(orphans, Result::new);
    }

    /**
     * Expires the uploads idle since {@code before} a page at a time, so a sweep never holds more than a page of
     * records however many expire at once; it stops at a short page, or at one of which none could expire.
     */
    private Mono<Long> expireIdle(Instant before, long done) {
        return repo.findIdleOpen(before, PAGE).collectList().flatMap(page -> Flux.fromIterable(page)
                .concatMap(idle -> repo.transition(idle.id(), UploadState.EXPIRED, null, null)
                        .flatMap(u -> uploads.end(u, new TransferException(ErrorCode.INVALID_STATE,
                                        "Upload " + u.id() + " expired after " + settings.expireAfter()
                                                + " without a write."))
                                .thenReturn(u)))
                .doOnNext(u -> log.info("Upload {} expired", u.id()))
                .count()
                .flatMap(n -> page.size() < PAGE || n == 0 ? Mono.just(done + n) : expireIdle(before, done + n)));
    }

    public record Result(long expired, long orphansAborted) {
    }
}
