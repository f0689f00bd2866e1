package dev.relay.infra.r2dbc;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.UserInfo.Role;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.AccountRepository;
import io.r2dbc.spi.Readable;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Clock;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/** {@link AccountRepository} on MySQL/MariaDB through R2DBC. Usernames are unique regardless of case. */
public final class R2dbcAccountRepository implements AccountRepository {

    private static final String COLUMNS = "id, username, display_name, password_hash, role, disabled, token_version,"
            + " created_at";

    private final DatabaseClient db;
    private final Clock clock;

    public R2dbcAccountRepository(DatabaseClient db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    @Override
    public Mono<Account> create(String id, String username, String passwordHash, boolean admin) {
        return Sql.classify(db.sql("INSERT INTO accounts (id, username, display_name, password_hash, role,"
                        + " created_at) VALUES (:id, :username, :username, :hash, :role, :now)")
                .bind("id", id)
                .bind("username", username)
                .bind("hash", passwordHash)
                .bind("role", (admin ? Role.ADMIN : Role.USER).name())
                .bind("now", Sql.now(clock))
                .fetch().rowsUpdated()
                .onErrorMap(DuplicateKeyException.class, e -> new TransferException(ErrorCode.CONFLICT,
                        "The username \"" + username + "\" is taken; choose another."))
                .then(findById(id)));
    }

    @Override
    public Mono<Boolean> hasAdmin() {
        return Sql.classify(db.sql("SELECT EXISTS (SELECT 1 FROM accounts WHERE role = 'ADMIN') AS present")
                .map(row -> Sql.longOf(row, "present") != 0)
                .one());
    }

    @Override
    public Mono<Account> promote(String id) {
        return Sql.classify(db.sql("UPDATE accounts SET role = 'ADMIN' WHERE id = :id")
                .bind("id", id)
                .fetch().rowsUpdated()
                .then(findById(id)));
    }

    @Override
    public Mono<Account> findByUsername(String username) {
        return Sql.classify(db.sql("SELECT " + COLUMNS + " FROM accounts WHERE username = :username")
                .bind("username", username)
                .map(R2dbcAccountRepository::toAccount)
                .one());
    }

    @Override
    public Mono<Account> findById(String id) {
        return Sql.classify(db.sql("SELECT " + COLUMNS + " FROM accounts WHERE id = :id")
                .bind("id", id)
                .map(R2dbcAccountRepository::toAccount)
                .one());
    }

    @Override
    public Flux<Account> findByIds(Collection<String> ids) {
        if (ids.isEmpty()) {
            return Flux.empty();
        }
        return Sql.rows(db.sql("SELECT " + COLUMNS + " FROM accounts WHERE id IN (:ids)")
                .bind("ids", List.copyOf(ids))
                .map(R2dbcAccountRepository::toAccount)
                .all());
    }

    @Override
    public Flux<Account> list(boolean includeDisabled, int limit) {
        return Sql.rows(db.sql("SELECT " + COLUMNS + " FROM accounts"
                        + (includeDisabled ? "" : " WHERE NOT disabled")
                        + " ORDER BY display_name, username LIMIT :limit")
                .bind("limit", limit)
                .map(R2dbcAccountRepository::toAccount)
                .all());
    }

    @Override
    public Flux<Account> search(String text, int limit) {
        String pattern = "%" + text.toLowerCase()
                .replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
        return Sql.rows(db.sql("SELECT " + COLUMNS + " FROM accounts WHERE NOT disabled"
                        + " AND (LOWER(username) LIKE :p OR LOWER(display_name) LIKE :p)"
                        + " ORDER BY display_name, username LIMIT :limit")
                .bind("p", pattern)
                .bind("limit", limit)
                .map(R2dbcAccountRepository::toAccount)
                .all());
    }

    @Override
    public Mono<Account> updateDisplayName(String id, String displayName) {
        return Sql.classify(db.sql("UPDATE accounts SET display_name = :name WHERE id = :id")
                .bind("name", displayName)
                .bind("id", id)
                .fetch().rowsUpdated()
                .then(findById(id)));
    }

    @Override
    public Mono<Account> changePassword(String id, String passwordHash) {
        return Sql.classify(db.sql("UPDATE accounts SET password_hash = :hash, token_version = token_version + 1"
                        + " WHERE id = :id")
                .bind("hash", passwordHash)
                .bind("id", id)
                .fetch().rowsUpdated()
                .then(findById(id)));
    }

    @Override
    public Mono<Account> setDisabled(String id, boolean disabled) {
        // MySQL assigns left to right: the version must be computed from the old value of disabled.
        return Sql.classify(db.sql("UPDATE accounts SET"
                        + " token_version = token_version + CASE WHEN :disabled AND NOT disabled THEN 1 ELSE 0 END,"
                        + " disabled = :disabled WHERE id = :id")
                .bind("disabled", disabled)
                .bind("id", id)
                .fetch().rowsUpdated()
                .then(findById(id)));
    }

    @Override
    public Mono<Void> lock(String... ids) {
        String[] sorted = Arrays.stream(ids).distinct().sorted().toArray(String[]::new);
        String placeholders = Arrays.stream(sorted).map(i -> "?").collect(Collectors.joining(","));
        // By primary key only: for a long list the optimizer would rather scan the table, and a scan locks every
        // row it passes, other transactions' users too (deadlocks between chat batches).
        DatabaseClient.GenericExecuteSpec spec = db.sql("SELECT id FROM accounts FORCE INDEX (PRIMARY) WHERE id IN ("
                + placeholders + ") ORDER BY id FOR UPDATE").bindValues(List.of(sorted));
        return Sql.classify(spec.fetch().all().then());
    }

    private static Account toAccount(Readable row) {
        Boolean disabled = row.get("disabled", Boolean.class);
        return new Account(row.get("id", String.class), row.get("username", String.class),
                row.get("display_name", String.class), row.get("password_hash", String.class),
                Role.valueOf(row.get("role", String.class)), disabled != null && disabled,
                Sql.longOf(row, "token_version"), Sql.instantOf(row, "created_at"));
    }
}
