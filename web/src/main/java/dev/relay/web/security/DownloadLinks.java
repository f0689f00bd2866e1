package dev.relay.web.security;

import dev.relay.api.ErrorCode;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.Viewer;
import dev.relay.streaming.port.AccountRepository;
import dev.relay.streaming.port.DownloadLinkUses;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.JwsHeader;
import org.springframework.security.oauth2.jwt.JwtClaimsSet;
import org.springframework.security.oauth2.jwt.JwtEncoder;
import org.springframework.security.oauth2.jwt.JwtEncoderParameters;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import reactor.core.publisher.Mono;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * Short-lived links that let a browser's own download manager fetch one file (and resume it with ranges) without an
 * Authorization header, which a plain link cannot carry. The link's token is a JWT for one user and one file, with
 * its own purpose claim: it is refused as a bearer token, and a bearer token is refused as a link.
 *
 * <p>A link serves one download: its first use binds it to that client's address, and only that client may use it
 * again, each time within {@code window} of its previous use (the Range requests of a download manager resuming, or
 * of a media player seeking). A copied link is useless elsewhere, and one left alone lapses before it expires. The
 * binding lives in the database ({@link DownloadLinkUses}), so it holds on every node of a cluster.
 */
public final class DownloadLinks {

    /** Marks link tokens; API tokens never carry it. */
    public static final String PURPOSE_CLAIM = "purpose";
    static final String PURPOSE = "download";
    static final String FILE_CLAIM = "file";

    private final JwtEncoder encoder;
    private final ReactiveJwtDecoder decoder;
    private final AccountRepository accounts;
    private final DownloadLinkUses uses;
    private final Duration ttl;
    private final Duration window;
    private final Clock clock;

    public DownloadLinks(JwtEncoder encoder, ReactiveJwtDecoder decoder, AccountRepository accounts,
                         DownloadLinkUses uses, Duration ttl, Duration window, Clock clock) {
        this.encoder = encoder;
        this.decoder = decoder;
        this.accounts = accounts;
        this.uses = uses;
        this.ttl = ttl;
        this.window = window;
        this.clock = clock;
    }

    public record Link(String token, Instant expiresAt) {
    }

    /** A link token for {@code fileId}, valid for the configured time and only while the account's tokens are. */
    public Mono<Link> issue(String userId, String fileId) {
        return accounts.findById(userId).map(account -> {
            Instant now = clock.instant();
            Instant expires = now.plus(ttl);
            JwtClaimsSet claims = JwtClaimsSet.builder()
                    .issuer(JwtTokens.ISSUER)
                    .subject(userId)
                    .id(UUID.randomUUID().toString())
                    .claim(PURPOSE_CLAIM, PURPOSE)
                    .claim(FILE_CLAIM, fileId)
                    .claim(JwtTokens.VERSION_CLAIM, account.tokenVersion())
                    .issuedAt(now)
                    .expiresAt(expires)
                    .build();
            String token = encoder.encode(JwtEncoderParameters.from(JwsHeader.with(MacAlgorithm.HS256).build(),
                    claims)).getTokenValue();
            return new Link(token, expires);
        });
    }

    /**
     * The viewer a link token stands for, if it is valid for {@code fileId} and free for {@code client} (an address)
     * to use; UNAUTHENTICATED otherwise.
     */
    public Mono<Viewer> verify(String token, String fileId, String client) {
        return decoder.decode(token)
                .onErrorMap(e -> invalid("the link is invalid or has expired; open it again from the app"))
                // The decoder allows a minute of clock skew; a link ends when it says, and its row may be gone then.
                .filter(jwt -> jwt.getExpiresAt() != null && clock.instant().isBefore(jwt.getExpiresAt()))
                .switchIfEmpty(Mono.error(() -> invalid("the link has expired; open it again from the app")))
                .filter(jwt -> PURPOSE.equals(jwt.getClaimAsString(PURPOSE_CLAIM)) && jwt.getId() != null
                        && fileId.equals(jwt.getClaimAsString(FILE_CLAIM)))
                .switchIfEmpty(Mono.error(() -> invalid("this link is not for this file")))
                .flatMap(jwt -> accounts.findById(jwt.getSubject())
                        .filter(a -> !a.disabled() && jwt.getClaims().get(JwtTokens.VERSION_CLAIM) instanceof Number n
                                && n.longValue() == a.tokenVersion())
                        .switchIfEmpty(Mono.error(() -> invalid("the link was revoked; log in again")))
                        .flatMap(a -> use(jwt.getId(), client, jwt.getExpiresAt())
                                .thenReturn(new Viewer(a.id(), a.admin()))));
    }

    private Mono<Void> use(String linkId, String client, Instant expiresAt) {
        Instant now = clock.instant();
        return uses.use(linkId, client, now, now.plus(window), expiresAt)
                .flatMap(use -> switch (use) {
                    // Rows of expired links go when another link is first used; a failed pruning is retried then.
                    case FIRST -> uses.pruneExpired(now).onErrorResume(e -> Mono.empty()).then();
                    case AGAIN -> Mono.<Void>empty();
                    case REFUSED -> Mono.error(invalid("it is already used by another download, or was left"
                            + " unused for over " + window.toSeconds() + " s; open it again from the app"));
                });
    }

    private static TransferException invalid(String why) {
        return new TransferException(ErrorCode.UNAUTHENTICATED, "Download link refused: " + why + ".");
    }
}
