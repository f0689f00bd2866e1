package dev.relay.web.security;

import dev.relay.api.ErrorCode;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.Viewer;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import org.springframework.security.oauth2.jwt.Jwt;
import reactor.core.publisher.Mono;

/** The authenticated user of the current request or connection (HTTP and RSocket alike). */
public final class CurrentUser {

    static final String ADMIN_AUTHORITY = "ROLE_ADMIN";
    static final String USER_AUTHORITY = "ROLE_USER";

    private CurrentUser() {
    }

    /** The user's id (the JWT subject). */
    public static Mono<String> id() {
        return authentication().mapNotNull(auth -> auth.getPrincipal() instanceof Jwt jwt ? jwt.getSubject() : null)
                .switchIfEmpty(Mono.error(CurrentUser::unauthenticated));
    }

    /** The verified token of the request or connection (security requires one with an expiry). */
    public static Mono<Jwt> token() {
        return authentication().mapNotNull(auth -> auth.getPrincipal() instanceof Jwt jwt ? jwt : null)
                .switchIfEmpty(Mono.error(CurrentUser::unauthenticated));
    }

    /** The user's id and whether they are an administrator (as checked against the account when authenticated). */
    public static Mono<Viewer> viewer() {
        return authentication()
                .filter(auth -> auth.getPrincipal() instanceof Jwt)
                .map(auth -> new Viewer(((Jwt) auth.getPrincipal()).getSubject(), auth.getAuthorities().stream()
                        .anyMatch(a -> ADMIN_AUTHORITY.equals(a.getAuthority()))))
                .switchIfEmpty(Mono.error(CurrentUser::unauthenticated));
    }

    /** The user's id if they are an administrator; ADMIN_ONLY otherwise. */
    public static Mono<String> admin() {
        return viewer().flatMap(v -> v.admin() ? Mono.just(v.userId()) : Mono.error(new TransferException(
                ErrorCode.ADMIN_ONLY, "Only administrators may do this.")));
    }

    private static Mono<Authentication> authentication() {
        return ReactiveSecurityContextHolder.getContext().mapNotNull(ctx -> ctx.getAuthentication());
    }

    private static TransferException unauthenticated() {
        return new TransferException(ErrorCode.UNAUTHENTICATED,
                "This request is not authenticated; log in and send the bearer token.");
    }
}
