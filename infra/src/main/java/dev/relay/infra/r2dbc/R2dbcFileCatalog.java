package dev.relay.infra.r2dbc;

import dev.relay.streaming.port.FileCatalog;
import dev.relay.streaming.port.UploadRecord;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** {@link FileCatalog} on MySQL/MariaDB through R2DBC: plain reads, no transaction. */
public final class R2dbcFileCatalog implements FileCatalog {

    private static final String COLUMNS = UploadRows.COLUMNS;

    private final DatabaseClient db;

    public R2dbcFileCatalog(DatabaseClient db) {
        this.db = db;
    }

    @Override
    public Flux<UploadRecord> listByOwner(String ownerId) {
        return Sql.rows(db.sql("SELECT " + COLUMNS + " FROM uploads WHERE owner_id = :owner"
                        + " ORDER BY created_at DESC, id DESC")
                .bind("owner", ownerId)
                .map(UploadRows::toRecord)
                .all());
    }

    @Override
    public Mono<UploadRecord> findVisible(String id, String userId, boolean admin) {
        // Administrators see every upload; anyone else only what they sent or receive.
        var query = db.sql("SELECT " + COLUMNS + " FROM uploads WHERE id = :id"
                        + (admin ? "" : " AND (owner_id = :user OR recipient_id = :user)"))
                .bind("id", id);
        if (!admin) {
            query = query.bind("user", userId);
        }
        return Sql.classify(query.map(UploadRows::toRecord).one());
    }

    @Override
    public Flux<UploadRecord> listFiles(String userId) {
        return Sql.rows(db.sql("SELECT " + COLUMNS + " FROM uploads WHERE state = 'COMPLETED'"
                        + " AND (owner_id = :user OR recipient_id = :user) ORDER BY created_at DESC, id DESC")
                .bind("user", userId)
                .map(UploadRows::toRecord)
                .all());
    }
}
