package dev.relay.web.security;

import dev.relay.api.ErrorCode;
import dev.relay.streaming.TransferException;
import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import org.springframework.security.oauth2.jwt.Jwt;
import reactor.core.publisher.Mono;

/** The authenticated user of the current request or connection (HTTP and RSocket alike). */
public final class CurrentUser {

    private CurrentUser() {
    }

    /** The user's id (the JWT subject). */
    public static Mono<String> id() {
        return ReactiveSecurityContextHolder.getContext()
                .mapNotNull(ctx -> ctx.getAuthentication())
                .mapNotNull(auth -> auth.getPrincipal() instanceof Jwt jwt ? jwt.getSubject() : null)
                .switchIfEmpty(Mono.error(() -> new TransferException(ErrorCode.UNAUTHENTICATED,
                        "This request is not authenticated; log in and send the bearer token.")));
    }
}
