package dev.relay.web.security;

import dev.relay.streaming.port.AccountRepository;
import dev.relay.streaming.port.AccountRepository.Account;
import dev.relay.streaming.support.RequestBatcher;
import org.springframework.security.authentication.DisabledException;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import org.springframework.security.oauth2.server.resource.authentication.JwtReactiveAuthenticationManager;
import reactor.core.publisher.Mono;

import java.util.Optional;

/**
 * Accepts a JWT only if its signature and expiry are valid <em>and</em> its account still exists, is enabled, and
 * still has the token's version: disabling a user or changing a password revokes earlier tokens at once. The
 * authorities (ROLE_USER, ROLE_ADMIN) come from the account, never from the token. The accounts of tokens checked at
 * once (a mass reconnect: thousands of SETUPs) are read together, one query for up to 200.
 */
final class AccountAuthenticationManager implements ReactiveAuthenticationManager {

    private final JwtReactiveAuthenticationManager jwt;
    private final RequestBatcher<String, Optional<Account>> accounts;

    AccountAuthenticationManager(ReactiveJwtDecoder decoder, AccountRepository accounts) {
        this.jwt = new JwtReactiveAuthenticationManager(decoder);
        this.accounts = new RequestBatcher<>(ids -> accounts.findByIds(ids.stream().distinct().toList())
                .collectMap(Account::id)
                .map(found -> ids.stream().map(id -> Optional.ofNullable(found.get(id))).toList()), 2, 200);
    }

    @Override
    public Mono<Authentication> authenticate(Authentication authentication) {
        return jwt.authenticate(authentication).flatMap(authenticated -> {
            Jwt token = (Jwt) authenticated.getPrincipal();
            if (token.getClaims().containsKey(DownloadLinks.PURPOSE_CLAIM)) {
                return Mono.error(new InvalidBearerTokenException("a download link's token is not a bearer token"));
            }
            Object version = token.getClaims().get(JwtTokens.VERSION_CLAIM);
            if (token.getSubject() == null) {
                return Mono.error(new InvalidBearerTokenException("the token names no account"));
            }
            return accounts.submit(token.getSubject())
                    .flatMap(Mono::justOrEmpty)
                    .switchIfEmpty(Mono.error(() -> new InvalidBearerTokenException("the account no longer exists")))
                    .flatMap(account -> {
                        if (account.disabled()) {
                            return Mono.error(new DisabledException("this account is disabled"));
                        }
                        if (!(version instanceof Number n) || n.longValue() != account.tokenVersion()) {
                            return Mono.error(new InvalidBearerTokenException("this token was revoked (the password"
                                    + " changed or the account was disabled since it was issued)"));
                        }
                        return Mono.just(new JwtAuthenticationToken(token, account.admin()
                                ? AuthorityUtils.createAuthorityList(CurrentUser.USER_AUTHORITY,
                                CurrentUser.ADMIN_AUTHORITY)
                                : AuthorityUtils.createAuthorityList(CurrentUser.USER_AUTHORITY)));
                    });
        });
    }
}
