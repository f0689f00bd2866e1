package dev.relay.streaming.port;

import reactor.core.publisher.Mono;

import java.time.Instant;

/** User accounts: the owners of uploads. */
public interface AccountRepository {

    /** Creates an account; fails with a {@code TransferException} of code CONFLICT if the username is taken. */
    Mono<Account> create(String id, String username, String passwordHash);

    Mono<Account> findByUsername(String username);

    Mono<Account> findById(String id);

    record Account(String id, String username, String passwordHash, Instant createdAt) {
    }
}
