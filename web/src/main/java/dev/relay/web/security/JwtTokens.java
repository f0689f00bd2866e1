package dev.relay.web.security;

import dev.relay.api.wire.AuthToken;
import dev.relay.streaming.port.AccountRepository.Account;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.JwsHeader;
import org.springframework.security.oauth2.jwt.JwtClaimsSet;
import org.springframework.security.oauth2.jwt.JwtEncoder;
import org.springframework.security.oauth2.jwt.JwtEncoderParameters;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/** Issues the HS256 JWTs that authenticate HTTP requests and RSocket connections. */
public final class JwtTokens {

    public static final String ISSUER = "relay";
    public static final String USERNAME_CLAIM = "name";
    /** The account's token version when issued: bumping it revokes the token. */
    public static final String VERSION_CLAIM = "ver";

    private final JwtEncoder encoder;
    private final Duration ttl;
    private final Clock clock;

    public JwtTokens(JwtEncoder encoder, Duration ttl, Clock clock) {
        this.encoder = encoder;
        this.ttl = ttl;
        this.clock = clock;
    }

    public AuthToken issue(Account account) {
        Instant now = clock.instant();
        Instant expires = now.plus(ttl);
        JwtClaimsSet claims = JwtClaimsSet.builder()
                .issuer(ISSUER)
                .subject(account.id())
                .claim(USERNAME_CLAIM, account.username())
                .claim(VERSION_CLAIM, account.tokenVersion())
                .issuedAt(now)
                .expiresAt(expires)
                .build();
        String token = encoder.encode(JwtEncoderParameters.from(JwsHeader.with(MacAlgorithm.HS256).build(), claims))
                .getTokenValue();
        return new AuthToken(token, expires, account.id(), account.username(), account.role());
    }
}
