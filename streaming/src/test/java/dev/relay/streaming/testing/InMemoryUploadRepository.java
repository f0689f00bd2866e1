package dev.relay.streaming.testing;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.DurablePoint;
import dev.relay.streaming.port.FileCatalog;
import dev.relay.streaming.port.NewUpload;
import dev.relay.streaming.port.PartRecord;
import dev.relay.streaming.port.UploadLimits;
import dev.relay.streaming.port.UploadRecord;
import dev.relay.streaming.port.UploadRepository;
import dev.relay.streaming.port.WriterClaim;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * {@link UploadRepository} and {@link FileCatalog} in memory, with the R2DBC adapter's conditions: every change
 * applies only in the states (and for writers only with the writer epoch) the adapter's statements require, and
 * reports whether it did. Timestamps have the database's microseconds and, unlike a real clock, never repeat: two
 * uploads created one after the other are always listed newest first.
 *
 * <p>Calls take effect when subscribed to (or when released, see {@link #hold}) and complete on another thread
 * ({@code completions}, the parallel scheduler by default: like R2DBC's event loops it refuses blocking calls).
 * Unlike the adapter, it does not check that the owner's account exists.
 *
 * <p>Test controls (thread-safe): {@link #unavailable}, {@link #failNext}, {@link #hold}/{@link #release},
 * {@link #calls}.
 */
public final class InMemoryUploadRepository implements UploadRepository, FileCatalog {

    /** The kinds of call, for the test controls. */
    public enum Op {
        CREATE, FIND, FIND_OWNED, FIND_ALL, CLAIM_WRITER, ATTACH_MULTIPART, RECORD_PART, RECORD_TAIL, SET_RATE_LIMIT, PARTS, RELEASE_WRITER,
        COMPLETE, TRANSITION, FIND_IDLE_OPEN, LIST_BY_OWNER, FIND_VISIBLE, LIST_FILES
    }

    /** As the adapter's ORDER BY created_at DESC, id DESC. */
    private static final Comparator<UploadRecord> NEWEST_FIRST = Comparator.comparing(UploadRecord::createdAt)
            .thenComparing(UploadRecord::id).reversed();

    private final CallControls<Op> controls;
    private final Clock clock;
    private final Map<String, Row> rows = new LinkedHashMap<>();
    private Instant lastTimestamp = Instant.EPOCH;

    public InMemoryUploadRepository() {
        this(Schedulers.parallel(), Clock.systemUTC());
    }

    /**
     * @param completions where results are delivered ({@code Schedulers.immediate()}: on the subscribing thread, or
     *                    on the releasing one for a held call)
     * @param clock       the time of creations and changes
     */
    public InMemoryUploadRepository(Scheduler completions, Clock clock) {
        this.controls = new CallControls<>(Op.class, "The database", completions);
        this.clock = clock;
    }

    // ---- UploadRepository -------------------------------------------------------------------------------------------

    @Override
    public Mono<UploadRecord> create(NewUpload u, UploadLimits limits) {
        return controls.mono(Op.CREATE, () -> {
            synchronized (this) {
                long total = 0;
                long open = 0;
                for (Row row : rows.values()) {
                    if (row.ownerId.equals(u.ownerId()) && (row.state.isOpen() || row.state == UploadState.COMPLETED)) {
                        total += row.size;
                        open += row.state.isOpen() ? 1 : 0;
                    }
                }
                if (open >= limits.maxOpenUploads()) {
                    throw new TransferException(ErrorCode.TOO_MANY_UPLOADS, "You have " + open
                            + " unfinished uploads, the most allowed; finish or cancel one first.");
                }
                if (total + u.size() > limits.userQuotaBytes()) {
                    throw new TransferException(ErrorCode.QUOTA_EXCEEDED, "This upload of " + u.size()
                            + " bytes would take your storage to " + (total + u.size()) + " bytes; your quota is "
                            + limits.userQuotaBytes() + " bytes. Delete files or cancel uploads first.");
                }
                if (rows.containsKey(u.id())) {
                    throw new IllegalStateException("Duplicate upload id " + u.id()); // a primary key violation
                }
                Row row = new Row(u, now());
                rows.put(u.id(), row);
                return row.toRecord();
            }
        });
    }

    @Override
    public Mono<UploadRecord> find(String id) {
        return controls.mono(Op.FIND, () -> record(id, row -> true));
    }

    @Override
    public Mono<UploadRecord> findOwned(String id, String ownerId) {
        return controls.mono(Op.FIND_OWNED, () -> record(id, row -> row.ownerId.equals(ownerId)));
    }

    @Override
    public Flux<UploadRecord> findAll(Collection<String> ids) {
        return controls.flux(Op.FIND_ALL, () -> {
            List<UploadRecord> found = new ArrayList<>();
            for (String id : ids) {
                UploadRecord record = record(id, row -> true);
                if (record != null) {
                    found.add(record);
                }
            }
            return delivered(found);
        });
    }

    @Override
    public Mono<WriterClaim> claimWriter(String id, int partNumbers, String nodeId) {
        return controls.mono(Op.CLAIM_WRITER, () -> {
            synchronized (this) {
                Row row = rows.get(id);
                if (row == null || !row.state.isOpen()) {
                    return null;
                }
                row.writerEpoch++;
                row.partNumbersReserved += partNumbers;
                row.writerNode = nodeId;
                row.updatedAt = now();
                return new WriterClaim(row.writerEpoch, row.partNumbersReserved - partNumbers + 1,
                        row.partNumbersReserved);
            }
        });
    }

    @Override
    public Mono<Boolean> attachMultipart(String id, long epoch, String s3UploadId) {
        return controls.mono(Op.ATTACH_MULTIPART, () -> {
            synchronized (this) {
                Row row = writable(id, epoch);
                if (row == null || row.s3UploadId != null) {
                    return false;
                }
                row.s3UploadId = s3UploadId;
                row.updatedAt = now();
                return true;
            }
        });
    }

    @Override
    public Mono<Boolean> recordPart(String id, long epoch, PartRecord part, DurablePoint point, int reserveThrough) {
        return controls.mono(Op.RECORD_PART, () -> {
            synchronized (this) {
                Row row = writable(id, epoch);
                if (row == null) {
                    return false;
                }
                // As the adapter: the part consumes the tail whatever the point says about one.
                row.partsBytes = point.partsBytes();
                row.tailBytes = 0;
                row.digestState = copy(point.digestState());
                row.partNumbersReserved = Math.max(row.partNumbersReserved, reserveThrough);
                row.updatedAt = now();
                row.parts.put(part.number(), part);
                return true;
            }
        });
    }

    @Override
    public Mono<Boolean> recordTail(String id, long epoch, DurablePoint point) {
        return controls.mono(Op.RECORD_TAIL, () -> {
            synchronized (this) {
                Row row = writable(id, epoch);
                if (row == null || row.partsBytes != point.partsBytes()) {
                    return false;
                }
                row.tailBytes = point.tailBytes();
                row.tailEpoch = epoch;
                row.digestState = copy(point.digestState());
                row.updatedAt = now();
                return true;
            }
        });
    }

    @Override
    public Flux<PartRecord> parts(String id) {
        return controls.flux(Op.PARTS, () -> {
            synchronized (this) {
                Row row = rows.get(id);
                return delivered(row == null ? List.of() : List.copyOf(row.parts.values()));
            }
        });
    }

    @Override
    public Mono<Boolean> setRateLimit(String id, long bytesPerSecond) {
        return controls.mono(Op.SET_RATE_LIMIT, () -> {
            synchronized (this) {
                Row row = rows.get(id);
                if (row == null || !row.state.isOpen()) {
                    return false;
                }
                row.rateLimit = bytesPerSecond;
                return true;
            }
        });
    }

    @Override
    public Mono<Boolean> releaseWriter(String id, long epoch, int lastUsed) {
        return controls.mono(Op.RELEASE_WRITER, () -> {
            synchronized (this) {
                Row row = rows.get(id);
                if (row == null || row.writerEpoch != epoch || row.partNumbersReserved < lastUsed) {
                    return false;
                }
                row.partNumbersReserved = lastUsed;
                row.writerNode = null;
                return true;
            }
        });
    }

    @Override
    public Mono<Boolean> complete(String id, long epoch, String sha256) {
        return controls.mono(Op.COMPLETE, () -> {
            synchronized (this) {
                Row row = writable(id, epoch);
                if (row == null) {
                    return false;
                }
                row.state = UploadState.COMPLETED;
                row.sha256 = sha256;
                row.digestState = null;
                row.updatedAt = now();
                return true;
            }
        });
    }

    @Override
    public Mono<UploadRecord> transition(String id, UploadState target, ErrorCode errorCode, String errorMessage) {
        return controls.mono(Op.TRANSITION, () -> {
            synchronized (this) {
                Row row = rows.get(id);
                if (row == null || !row.state.canMoveTo(target)) {
                    return null;
                }
                row.state = target;
                row.errorCode = errorCode;
                row.errorMessage = errorMessage;
                row.updatedAt = now();
                return row.toRecord();
            }
        });
    }

    @Override
    public Flux<UploadRecord> findIdleOpen(Instant before, int limit) {
        return controls.flux(Op.FIND_IDLE_OPEN, () -> {
            List<UploadRecord> idle = records(row -> row.state.isOpen() && row.updatedAt.isBefore(before),
                    Comparator.comparing(UploadRecord::updatedAt));
            return delivered(idle.subList(0, Math.min(limit, idle.size())));
        });
    }

    // ---- FileCatalog ------------------------------------------------------------------------------------------------

    @Override
    public Flux<UploadRecord> listByOwner(String ownerId) {
        return controls.flux(Op.LIST_BY_OWNER, () -> delivered(records(row -> row.ownerId.equals(ownerId),
                NEWEST_FIRST)));
    }

    @Override
    public Mono<UploadRecord> findVisible(String id, String userId, boolean admin) {
        return controls.mono(Op.FIND_VISIBLE, () -> record(id, row -> admin || row.involves(userId)));
    }

    @Override
    public Flux<UploadRecord> listFiles(String userId) {
        return controls.flux(Op.LIST_FILES, () -> delivered(records(
                row -> row.state == UploadState.COMPLETED && row.involves(userId), NEWEST_FIRST)));
    }

    // ---- test controls ----------------------------------------------------------------------------------------------

    /** Outages, failures, holds and call counts of this fixture's calls, by kind. */
    public CallControls<Op> controls() {
        return controls;
    }

    // ---- internals ----------------------------------------------------------------------------------------------

    /** The row a writer with {@code epoch} may change, or null. */
    private Row writable(String id, long epoch) {
        Row row = rows.get(id);
        return row != null && row.writerEpoch == epoch && row.state.isOpen() ? row : null;
    }

    private synchronized UploadRecord record(String id, Predicate<Row> visible) {
        Row row = rows.get(id);
        return row != null && visible.test(row) ? row.toRecord() : null;
    }

    private synchronized List<UploadRecord> records(Predicate<Row> filter, Comparator<UploadRecord> order) {
        List<UploadRecord> found = new ArrayList<>();
        for (Row row : rows.values()) {
            if (filter.test(row)) {
                found.add(row.toRecord());
            }
        }
        found.sort(order);
        return found;
    }

    private <T> Flux<T> delivered(List<T> items) {
        return Flux.fromIterable(items).publishOn(controls.completions());
    }

    /** Now, in the database's microseconds, and after every earlier timestamp. */
    private Instant now() {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        lastTimestamp = now.isAfter(lastTimestamp) ? now : lastTimestamp.plus(1, ChronoUnit.MICROS);
        return lastTimestamp;
    }

    private static byte[] copy(byte[] bytes) {
        return bytes == null ? null : bytes.clone();
    }

    private static final class Row {
        final String id;
        final String ownerId;
        final String recipientId;
        final String name;
        final long size;
        final String contentType;
        final String expectedSha256;
        final long partSize;
        final String objectKey;
        final Instant createdAt;
        final TreeMap<Integer, PartRecord> parts = new TreeMap<>();
        UploadState state = UploadState.ACTIVE;
        String s3UploadId;
        long partsBytes;
        long tailBytes;
        long tailEpoch;
        int partNumbersReserved;
        byte[] digestState;
        String sha256;
        ErrorCode errorCode;
        String errorMessage;
        long writerEpoch;
        String writerNode;
        long rateLimit;
        Instant updatedAt;

        Row(NewUpload u, Instant now) {
            id = u.id();
            ownerId = u.ownerId();
            recipientId = u.recipientId();
            name = u.name();
            size = u.size();
            contentType = u.contentType();
            expectedSha256 = u.expectedSha256();
            partSize = u.partSize();
            objectKey = u.objectKey();
            createdAt = now;
            updatedAt = now;
        }

        boolean involves(String userId) {
            return ownerId.equals(userId) || userId.equals(recipientId);
        }

        UploadRecord toRecord() {
            return new UploadRecord(id, ownerId, recipientId, name, size, contentType, expectedSha256, state,
                    partSize, objectKey, s3UploadId, partsBytes, tailBytes, tailEpoch, copy(digestState), sha256,
                    errorCode == null ? null : errorCode + ": " + errorMessage, writerEpoch, writerNode, rateLimit,
                    createdAt, updatedAt);
        }
    }
}
