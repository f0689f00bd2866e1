package dev.relay.web.security;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.Invite;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.AccountRepository;
import dev.relay.streaming.port.InviteRepository;
import reactor.core.publisher.Mono;

import javax.crypto.Mac;
import javax.crypto.SecretKey;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Who may register, and as what. Nobody becomes an administrator by registering first: the first administrator is
 * the operator's ({@code relay.security.admin.*}, made at start-up) or registers with the setup token, which works
 * only while no administrator exists. Everyone else registers as the mode allows: open, with an invite code, or not.
 */
public final class Admission {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final AccountRepository accounts;
    private final InviteRepository invites;
    private final SecurityProperties properties;
    private final Clock clock;
    private final String setupToken;

    public Admission(AccountRepository accounts, InviteRepository invites, SecurityProperties properties,
                     SecretKey signingKey, Clock clock) {
        this.accounts = accounts;
        this.invites = invites;
        this.properties = properties;
        this.clock = clock;
        this.setupToken = derive(signingKey);
    }

    /**
     * The setup token: derived from the token-signing key, so every node of a cluster logs and accepts the same one,
     * and nobody without that key (or the log) can compute it.
     */
    public String setupToken() {
        return setupToken;
    }

    /** How a registration may go on: as an ADMIN or not, and the invite it took (to give back if it fails). */
    public record Ticket(boolean admin, String inviteHash) {
    }

    public Mono<Ticket> admit(String username, String code) {
        if (properties.admin().is(username)) {
            return Mono.error(new TransferException(ErrorCode.CONFLICT, "The username \"" + username + "\" is"
                    + " taken; choose another."));
        }
        if (code != null && MessageDigest.isEqual(code.strip().getBytes(StandardCharsets.UTF_8),
                setupToken.getBytes(StandardCharsets.UTF_8))) {
            return accounts.hasAdmin().flatMap(present -> present
                    ? Mono.error(new TransferException(ErrorCode.FORBIDDEN, "The setup token no longer works: this"
                    + " service has an administrator. Ask them for an invite code."))
                    : Mono.just(new Ticket(true, null)));
        }
        return switch (properties.registration()) {
            case OPEN -> Mono.just(new Ticket(false, null));
            case CLOSED -> Mono.error(new TransferException(ErrorCode.FORBIDDEN, "Registration is closed on this"
                    + " service; ask its operator for an account."));
            case INVITE -> {
                if (code == null || code.isBlank()) {
                    yield Mono.error(new TransferException(ErrorCode.FORBIDDEN, "Registration needs an invite code"
                            + " from an administrator of this service."));
                }
                String hash = sha256(code.strip());
                yield invites.consume(hash, username).flatMap(taken -> taken
                        ? Mono.just(new Ticket(false, hash))
                        : Mono.error(new TransferException(ErrorCode.FORBIDDEN, "This invite code is unknown, used"
                        + " or expired; ask an administrator for a new one.")));
            }
        };
    }

    /** Gives back the invite a failed registration took. */
    public Mono<Void> release(Ticket ticket) {
        return ticket.inviteHash() == null ? Mono.empty() : invites.release(ticket.inviteHash());
    }

    public Mono<Invite> createInvite(String adminId) {
        byte[] bytes = new byte[18];
        RANDOM.nextBytes(bytes);
        String code = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Instant expires = clock.instant().plus(properties.inviteTtl());
        return invites.create(sha256(code), adminId, expires).thenReturn(new Invite(code, expires));
    }

    private static String derive(SecretKey key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            byte[] digest = mac.doFinal("relay first administrator setup".getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, 24);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(String code) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(code.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
