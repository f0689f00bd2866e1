package dev.relay.infra.r2dbc;

import dev.relay.streaming.port.InviteRepository;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Mono;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/** {@link InviteRepository} on MySQL/MariaDB through R2DBC. */
public final class R2dbcInviteRepository implements InviteRepository {

    /** Used and expired invites are kept this long, for an administrator who asks what became of one. */
    private static final Duration KEEP = Duration.ofDays(30);

    private final DatabaseClient db;
    private final Clock clock;

    public R2dbcInviteRepository(DatabaseClient db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    @Override
    public Mono<Void> create(String codeHash, String createdBy, Instant expiresAt) {
        return Sql.classify(db.sql("DELETE FROM invites WHERE expires_at < :before LIMIT 1000")
                .bind("before", Sql.toDb(clock.instant().minus(KEEP)))
                .fetch().rowsUpdated()
                .then(db.sql("INSERT INTO invites (code_hash, created_by, created_at, expires_at)"
                                + " VALUES (:hash, :by, :now, :expires)")
                        .bind("hash", codeHash)
                        .bind("by", createdBy)
                        .bind("now", Sql.now(clock))
                        .bind("expires", Sql.toDb(expiresAt))
                        .fetch().rowsUpdated())
                .then());
    }

    @Override
    public Mono<Boolean> consume(String codeHash, String username) {
        // One UPDATE decides: two registrations racing for one code cannot both see it unused.
        return Sql.classify(db.sql("UPDATE invites SET used_by = :user, used_at = :now"
                        + " WHERE code_hash = :hash AND used_by IS NULL AND expires_at > :now")
                .bind("user", username)
                .bind("now", Sql.now(clock))
                .bind("hash", codeHash)
                .fetch().rowsUpdated()
                .map(rows -> rows == 1));
    }

    @Override
    public Mono<Void> release(String codeHash) {
        return Sql.classify(db.sql("UPDATE invites SET used_by = NULL, used_at = NULL WHERE code_hash = :hash")
                .bind("hash", codeHash)
                .fetch().rowsUpdated()
                .then());
    }
}
