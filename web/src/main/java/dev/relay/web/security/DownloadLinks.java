package dev.relay.web.security;

import dev.relay.api.ErrorCode;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.Viewer;
import dev.relay.streaming.port.AccountRepository;
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

/**
 * Short-lived links that let a browser's own download manager fetch one file (and resume it with ranges) without an
 * Authorization header, which a plain link cannot carry. The link's token is a JWT for one user and one file, with
 * its own purpose claim: it is refused as a bearer token, and a bearer token is refused as a link.
 */
public final class DownloadLinks {

    /** Marks link tokens; API tokens never carry it. */
    public static final String PURPOSE_CLAIM = "purpose";
    static final String PURPOSE = "download";
    static final String FILE_CLAIM = "file";

    private final JwtEncoder encoder;
    private final ReactiveJwtDecoder decoder;
    private final AccountRepository accounts;
    private final Duration ttl;
    private final Clock clock;

    public DownloadLinks(JwtEncoder encoder, ReactiveJwtDecoder decoder, AccountRepository accounts, Duration ttl,
                         Clock clock) {
        this.encoder = encoder;
        this.decoder = decoder;
        this.accounts = accounts;
        this.ttl = ttl;
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

    /** The viewer a link token stands for, if it is valid for {@code fileId}; UNAUTHENTICATED otherwise. */
    public Mono<Viewer> verify(String token, String fileId) {
        return decoder.decode(token)
                .onErrorMap(e -> invalid("the link is invalid or has expired; open it again from the app"))
                .filter(jwt -> PURPOSE.equals(jwt.getClaimAsString(PURPOSE_CLAIM))
                        && fileId.equals(jwt.getClaimAsString(FILE_CLAIM)))
                .switchIfEmpty(Mono.error(() -> invalid("this link is not for this file")))
                .flatMap(jwt -> accounts.findById(jwt.getSubject())
                        .filter(a -> !a.disabled() && jwt.getClaims().get(JwtTokens.VERSION_CLAIM) instanceof Number n
                                && n.longValue() == a.tokenVersion())
                        .switchIfEmpty(Mono.error(() -> invalid("the link was revoked; log in again")))
                        .map(a -> new Viewer(a.id(), a.admin())));
    }

    private static TransferException invalid(String why) {
        return new TransferException(ErrorCode.UNAUTHENTICATED, "Download link refused: " + why + ".");
    }
}
