package dev.relay.infra.r2dbc;

import dev.relay.api.ErrorCode;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.AccountRepository;
import io.r2dbc.spi.Readable;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Mono;

import java.time.Clock;

/** {@link AccountRepository} on MySQL/MariaDB through R2DBC. Usernames are unique regardless of case. */
public final class R2dbcAccountRepository implements AccountRepository {

    private final DatabaseClient db;
    private final Clock clock;

    public R2dbcAccountRepository(DatabaseClient db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    @Override
    public Mono<Account> create(String id, String username, String passwordHash) {
        return Sql.classify(db.sql("INSERT INTO accounts (id, username, password_hash, created_at)"
                        + " VALUES (:id, :username, :hash, :now)")
                .bind("id", id)
                .bind("username", username)
                .bind("hash", passwordHash)
                .bind("now", Sql.now(clock))
                .fetch().rowsUpdated()
                .onErrorMap(DuplicateKeyException.class, e -> new TransferException(ErrorCode.CONFLICT,
                        "The username \"" + username + "\" is taken; choose another."))
                .then(findById(id)));
    }

    @Override
    public Mono<Account> findByUsername(String username) {
        return Sql.classify(db.sql("SELECT id, username, password_hash, created_at FROM accounts"
                        + " WHERE username = :username")
                .bind("username", username)
                .map(R2dbcAccountRepository::toAccount)
                .one());
    }

    @Override
    public Mono<Account> findById(String id) {
        return Sql.classify(db.sql("SELECT id, username, password_hash, created_at FROM accounts WHERE id = :id")
                .bind("id", id)
                .map(R2dbcAccountRepository::toAccount)
                .one());
    }

    private static Account toAccount(Readable row) {
        return new Account(row.get("id", String.class), row.get("username", String.class),
                row.get("password_hash", String.class), Sql.instantOf(row, "created_at"));
    }
}
