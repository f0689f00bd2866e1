package dev.relay.infra.r2dbc;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.DurablePoint;
import dev.relay.streaming.port.NewUpload;
import dev.relay.streaming.port.PartRecord;
import dev.relay.streaming.port.UploadRepository;
import dev.relay.streaming.port.UploadLimits;
import dev.relay.streaming.port.UploadRecord;
import dev.relay.streaming.port.WriterClaim;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Clock;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/** {@link UploadRepository} on MySQL/MariaDB through R2DBC; the read side is {@link R2dbcFileCatalog}. */
public final class R2dbcUploadRepository implements UploadRepository {

    private static final String OPEN = "('ACTIVE','PAUSED')";
    private static final String COLUMNS = UploadRows.COLUMNS;

    private final DatabaseClient db;
    private final TransactionalOperator tx;
    private final Clock clock;

    public R2dbcUploadRepository(DatabaseClient db, TransactionalOperator tx, Clock clock) {
        this.db = db;
        this.tx = tx;
        this.clock = clock;
    }

    @Override
    public Mono<UploadRecord> create(NewUpload u, UploadLimits limits) {
        var now = Sql.now(clock);
        Mono<UploadRecord> insert = db.sql("SELECT id FROM accounts WHERE id = :owner FOR UPDATE")
                .bind("owner", u.ownerId())
                .map(row -> row.get(0, String.class))
                .one()
                .switchIfEmpty(Mono.error(() -> new TransferException(ErrorCode.UNAUTHENTICATED,
                        "The account of this token no longer exists; log in again.")))
                .then(db.sql("SELECT COALESCE(SUM(size), 0) AS total,"
                                + " COALESCE(SUM(CASE WHEN state IN " + OPEN + " THEN 1 ELSE 0 END), 0) AS open_count"
                                + " FROM uploads WHERE owner_id = :owner AND state IN ('ACTIVE','PAUSED','COMPLETED')")
                        .bind("owner", u.ownerId())
                        .map(row -> new long[]{Sql.longOf(row, "total"), Sql.longOf(row, "open_count")})
                        .one())
                .flatMap(usage -> {
                    if (usage[1] >= limits.maxOpenUploads()) {
                        return Mono.error(new TransferException(ErrorCode.TOO_MANY_UPLOADS, "You have " + usage[1]
                                + " unfinished uploads, the most allowed; finish or cancel one first."));
                    }
                    if (usage[0] + u.size() > limits.userQuotaBytes()) {
                        return Mono.error(new TransferException(ErrorCode.QUOTA_EXCEEDED, "This upload of " + u.size()
                                + " bytes would take your storage to " + (usage[0] + u.size()) + " bytes; your quota"
                                + " is " + limits.userQuotaBytes() + " bytes. Delete files or cancel uploads first."));
                    }
                    return db.sql("INSERT INTO uploads (id, owner_id, recipient_id, name, size, content_type,"
                                    + " expected_sha256, state, part_size, object_key, created_at, updated_at) VALUES"
                                    + " (:id, :owner, :recipient, :name, :size, :ct, :sha, 'ACTIVE', :partSize, :key,"
                                    + " :now, :now)")
                            .bind("id", u.id())
                            .bind("owner", u.ownerId())
                            .bind("recipient", Sql.nullable(u.recipientId(), String.class))
                            .bind("name", u.name())
                            .bind("size", u.size())
                            .bind("ct", u.contentType())
                            .bind("sha", Sql.nullable(u.expectedSha256(), String.class))
                            .bind("partSize", u.partSize())
                            .bind("key", u.objectKey())
                            .bind("now", now)
                            .fetch().rowsUpdated()
                            .then(find(u.id()));
                });
        return Sql.classify(tx.transactional(insert));
    }

    @Override
    public Mono<UploadRecord> find(String id) {
        return Sql.classify(db.sql("SELECT " + COLUMNS + " FROM uploads WHERE id = :id")
                .bind("id", id)
                .map(UploadRows::toRecord)
                .one());
    }

    @Override
    public Mono<UploadRecord> findOwned(String id, String ownerId) {
        return Sql.classify(db.sql("SELECT " + COLUMNS + " FROM uploads WHERE id = :id AND owner_id = :owner")
                .bind("id", id)
                .bind("owner", ownerId)
                .map(UploadRows::toRecord)
                .one());
    }

    @Override
    public Flux<UploadRecord> findAll(Collection<String> ids) {
        if (ids.isEmpty()) {
            return Flux.empty();
        }
        return Sql.rows(db.sql("SELECT " + COLUMNS + " FROM uploads WHERE id IN (:ids)")
                .bind("ids", List.copyOf(ids))
                .map(UploadRows::toRecord)
                .all());
    }

    @Override
    public Mono<WriterClaim> claimWriter(String id, int partNumbers, String nodeId) {
        Mono<WriterClaim> claim = db.sql("UPDATE uploads SET writer_epoch = writer_epoch + 1,"
                        + " part_numbers_reserved = part_numbers_reserved + :numbers, writer_node = :node,"
                        + " updated_at = :now WHERE id = :id AND state IN " + OPEN)
                .bind("numbers", partNumbers)
                .bind("node", nodeId)
                .bind("now", Sql.now(clock))
                .bind("id", id)
                .fetch().rowsUpdated()
                .flatMap(rows -> rows == 0 ? Mono.empty()
                        : db.sql("SELECT writer_epoch, part_numbers_reserved FROM uploads WHERE id = :id")
                        .bind("id", id)
                        .map(row -> {
                            int through = Sql.intOf(row, "part_numbers_reserved");
                            return new WriterClaim(Sql.longOf(row, "writer_epoch"), through - partNumbers + 1,
                                    through);
                        })
                        .one());
        return Sql.classify(tx.transactional(claim));
    }

    @Override
    public Mono<Boolean> attachMultipart(String id, long epoch, String s3UploadId) {
        return Sql.classify(db.sql("UPDATE uploads SET s3_upload_id = :mp, updated_at = :now WHERE id = :id"
                        + " AND writer_epoch = :epoch AND state IN " + OPEN + " AND s3_upload_id IS NULL")
                .bind("mp", s3UploadId)
                .bind("now", Sql.now(clock))
                .bind("id", id)
                .bind("epoch", epoch)
                .fetch().rowsUpdated()
                .map(rows -> rows == 1));
    }

    @Override
    public Mono<Boolean> recordPart(String id, long epoch, PartRecord part, DurablePoint point, int reserveThrough) {
        var now = Sql.now(clock);
        Mono<Boolean> record = db.sql("UPDATE uploads SET parts_bytes = :parts, tail_bytes = 0, digest_state = :digest,"
                        + " part_numbers_reserved = GREATEST(part_numbers_reserved, :reserve), updated_at = :now"
                        + " WHERE id = :id AND writer_epoch = :epoch AND state IN " + OPEN)
                .bind("parts", point.partsBytes())
                .bind("reserve", reserveThrough)
                .bind("digest", point.digestState())
                .bind("now", now)
                .bind("id", id)
                .bind("epoch", epoch)
                .fetch().rowsUpdated()
                .flatMap(rows -> rows == 0 ? Mono.just(false)
                        : db.sql("INSERT INTO upload_parts (upload_id, part_number, etag, size, created_at)"
                                + " VALUES (:id, :number, :etag, :size, :now)"
                                + " ON DUPLICATE KEY UPDATE etag = VALUES(etag), size = VALUES(size)")
                        .bind("id", id)
                        .bind("number", part.number())
                        .bind("etag", part.etag())
                        .bind("size", part.size())
                        .bind("now", now)
                        .fetch().rowsUpdated()
                        .thenReturn(true));
        return Sql.classify(tx.transactional(record));
    }

    @Override
    public Mono<Boolean> recordTail(String id, long epoch, DurablePoint point) {
        return Sql.classify(db.sql("UPDATE uploads SET tail_bytes = :tail, tail_epoch = writer_epoch,"
                        + " digest_state = :digest, updated_at = :now"
                        + " WHERE id = :id AND writer_epoch = :epoch AND parts_bytes = :parts AND state IN " + OPEN)
                .bind("tail", point.tailBytes())
                .bind("digest", point.digestState())
                .bind("now", Sql.now(clock))
                .bind("id", id)
                .bind("epoch", epoch)
                .bind("parts", point.partsBytes())
                .fetch().rowsUpdated()
                .map(rows -> rows == 1));
    }

    @Override
    public Flux<PartRecord> parts(String id) {
        return Sql.rows(db.sql("SELECT part_number, etag, size FROM upload_parts WHERE upload_id = :id"
                        + " ORDER BY part_number")
                .bind("id", id)
                .map(row -> new PartRecord(Sql.intOf(row, "part_number"), row.get("etag", String.class),
                        Sql.longOf(row, "size")))
                .all());
    }

    @Override
    public Mono<Boolean> setRateLimit(String id, long bytesPerSecond) {
        return Sql.classify(db.sql("UPDATE uploads SET rate_limit = :limit WHERE id = :id AND state IN " + OPEN)
                .bind("limit", bytesPerSecond)
                .bind("id", id)
                .fetch().rowsUpdated()
                .flatMap(rows -> rows == 1 ? Mono.just(true) : find(id).map(u -> u.state().isOpen())
                        .defaultIfEmpty(false)));
    }

    @Override
    public Mono<Boolean> releaseWriter(String id, long epoch, int lastUsed) {
        return Sql.classify(db.sql("UPDATE uploads SET part_numbers_reserved = :last, writer_node = NULL WHERE id = :id"
                        + " AND writer_epoch = :epoch AND part_numbers_reserved >= :last")
                .bind("last", lastUsed)
                .bind("id", id)
                .bind("epoch", epoch)
                .fetch().rowsUpdated()
                .map(rows -> rows == 1));
    }

    @Override
    public Mono<Boolean> complete(String id, long epoch, String sha256) {
        var now = Sql.now(clock);
        return Sql.classify(db.sql("UPDATE uploads SET state = 'COMPLETED', sha256 = :sha, digest_state = NULL,"
                        + " updated_at = :now, completed_at = :now WHERE id = :id AND writer_epoch = :epoch"
                        + " AND state IN " + OPEN)
                .bind("sha", sha256)
                .bind("now", now)
                .bind("id", id)
                .bind("epoch", epoch)
                .fetch().rowsUpdated()
                .map(rows -> rows == 1));
    }

    @Override
    public Mono<UploadRecord> transition(String id, UploadState target, ErrorCode errorCode, String errorMessage) {
        String from = Arrays.stream(UploadState.values())
                .filter(s -> s.canMoveTo(target))
                .map(s -> "'" + s.name() + "'")
                .collect(Collectors.joining(",", "(", ")"));
        if (from.equals("()")) {
            return Mono.empty();
        }
        Mono<UploadRecord> change = db.sql("UPDATE uploads SET state = :state, error_code = :code,"
                        + " error_message = :message, updated_at = :now WHERE id = :id AND state IN " + from)
                .bind("state", target.name())
                .bind("code", Sql.nullable(errorCode == null ? null : errorCode.name(), String.class))
                .bind("message", Sql.nullable(errorMessage, String.class))
                .bind("now", Sql.now(clock))
                .bind("id", id)
                .fetch().rowsUpdated()
                .flatMap(rows -> rows == 0 ? Mono.empty() : find(id));
        return Sql.classify(tx.transactional(change));
    }

    @Override
    public Flux<UploadRecord> findIdleOpen(java.time.Instant before, int limit) {
        return Sql.rows(db.sql("SELECT " + COLUMNS + " FROM uploads WHERE state IN " + OPEN
                        + " AND updated_at < :before ORDER BY updated_at LIMIT :limit")
                .bind("before", Sql.toDb(before))
                .bind("limit", limit)
                .map(UploadRows::toRecord)
                .all());
    }
}
