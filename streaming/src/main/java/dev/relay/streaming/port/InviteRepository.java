package dev.relay.streaming.port;

import reactor.core.publisher.Mono;

import java.time.Instant;

/**
 * Invite codes of registration mode {@code invite}: each admits one registration before it expires. Only the SHA-256
 * of a code is stored, so reading the table does not give anyone a usable code.
 */
public interface InviteRepository {

    /** Stores a new invite; drops invites that expired long ago. */
    Mono<Void> create(String codeHash, String createdBy, Instant expiresAt);

    /** Marks the invite used by {@code username} if it exists, is unused and has not expired: true if it did. */
    Mono<Boolean> consume(String codeHash, String username);

    /** Makes a consumed invite usable again (the registration it admitted failed, a taken username say). */
    Mono<Void> release(String codeHash);
}
