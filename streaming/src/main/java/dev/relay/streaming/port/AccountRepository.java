package dev.relay.streaming.port;

import dev.relay.api.wire.UserInfo.Role;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.Collection;

import java.time.Instant;

/** User accounts: the owners of uploads and the members of conversations. */
public interface AccountRepository {

    /**
     * Creates an account, an ADMIN if {@code admin}. Fails with a {@code TransferException} of code CONFLICT if the
     * username is taken (regardless of case).
     */
    Mono<Account> create(String id, String username, String passwordHash, boolean admin);

    /** Whether any account (enabled or not) is an ADMIN. */
    Mono<Boolean> hasAdmin();

    /** Makes the account an ADMIN. Empty if there is no such account. */
    Mono<Account> promote(String id);

    /** Case-insensitive. */
    Mono<Account> findByUsername(String username);

    Mono<Account> findById(String id);

    /** The accounts of those of {@code ids} that exist, in no particular order (one query for all of them). */
    Flux<Account> findByIds(Collection<String> ids);

    /** Accounts by display name; disabled ones only if {@code includeDisabled}. */
    Flux<Account> list(boolean includeDisabled, int limit);

    /** Accounts whose username or display name contains {@code text} (case-insensitive), enabled ones only. */
    Flux<Account> search(String text, int limit);

    Mono<Account> updateDisplayName(String id, String displayName);

    /** Stores a new password hash and bumps the token version: every token issued before stops working. */
    Mono<Account> changePassword(String id, String passwordHash);

    /** Disables or enables an account; disabling bumps the token version. Empty if there is no such account. */
    Mono<Account> setDisabled(String id, boolean disabled);

    /**
     * Takes the row locks of these accounts, in id order, for the rest of the current transaction. Every
     * transaction that touches a conversation or a user's event sequence takes them first, which orders those
     * transactions per user and rules out lock-order deadlocks.
     */
    Mono<Void> lock(String... ids);

    /**
     * @param tokenVersion tokens carry it; a token whose version is not the account's current one is refused
     */
    record Account(String id, String username, String displayName, String passwordHash, Role role, boolean disabled,
                   long tokenVersion, Instant createdAt) {

        public boolean admin() {
            return role == Role.ADMIN;
        }
    }
}
