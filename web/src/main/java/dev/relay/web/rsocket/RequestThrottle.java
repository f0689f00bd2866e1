package dev.relay.web.rsocket;

import dev.relay.streaming.RateLimitedException;
import dev.relay.streaming.port.RateLimits;
import io.netty.buffer.ByteBuf;
import io.rsocket.metadata.CompositeMetadata;
import io.rsocket.metadata.RoutingMetadata;
import io.rsocket.metadata.WellKnownMimeType;
import org.springframework.core.Ordered;
import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.rsocket.api.PayloadExchange;
import org.springframework.security.rsocket.api.PayloadInterceptor;
import org.springframework.security.rsocket.api.PayloadInterceptorChain;
import org.springframework.security.config.annotation.rsocket.PayloadInterceptorOrder;
import reactor.core.publisher.Mono;

import java.util.Set;

/**
 * Every request a user makes takes a token from their bucket of requests, and every request that changes something
 * also from their bucket of writes, on all nodes together ({@link RateLimits}): one client cannot flood the database,
 * other users' event logs or everyone's screens. Runs in spring-security-rsocket's chain, after authorisation, so the
 * user is known; the payloads of a channel are not requests and are bounded by credit instead.
 */
public final class RequestThrottle implements PayloadInterceptor, Ordered {

    /** The last route segments of requests that change something; {@code chat.{user}.read} moves a read marker. */
    private static final Set<String> WRITES = Set.of("create", "write", "pause", "resume", "cancel", "limit",
            "update", "send", "delete", "disable", "enable");
    private static final String ROUTING = WellKnownMimeType.MESSAGE_RSOCKET_ROUTING.getString();

    private final RateLimits rate;
    private final RateLimits.Limit requests;
    private final RateLimits.Limit writes;

    public RequestThrottle(RateLimits rate, ConnectionLimits limits) {
        this.rate = rate;
        this.requests = new RateLimits.Limit(limits.requestsPerMinute(), limits.requestBurst());
        this.writes = new RateLimits.Limit(limits.writesPerMinute(), limits.writeBurst());
    }

    @Override
    public int getOrder() {
        return PayloadInterceptorOrder.AUTHORIZATION.getOrder() + 1;
    }

    @Override
    public Mono<Void> intercept(PayloadExchange exchange, PayloadInterceptorChain chain) {
        if (!exchange.getType().isRequest()) {
            return chain.next(exchange);
        }
        boolean write = isWrite(route(exchange.getPayload().metadata()));
        return ReactiveSecurityContextHolder.getContext()
                .mapNotNull(ctx -> ctx.getAuthentication() != null
                        && ctx.getAuthentication().getPrincipal() instanceof Jwt jwt ? jwt.getSubject() : null)
                .flatMap(user -> take("requests:" + user, requests, "requests")
                        .then(write ? take("writes:" + user, writes, "changes") : Mono.empty()))
                .then(chain.next(exchange));
    }

    private Mono<Void> take(String key, RateLimits.Limit limit, String what) {
        return rate.take(key, limit).flatMap(wait -> wait == 0 ? Mono.<Void>empty()
                : Mono.error(RateLimitedException.of("You are making " + what + " faster than "
                + Math.round(limit.perMinute()) + " a minute", wait)));
    }

    static boolean isWrite(String route) {
        if (route == null) {
            return false;
        }
        String last = route.substring(route.lastIndexOf('.') + 1);
        return WRITES.contains(last) || (route.startsWith("chat.") && last.equals("read"));
    }

    /** The routing entry's first tag, or null (the request is then refused later as UNKNOWN_ROUTE or malformed). */
    static String route(ByteBuf metadata) {
        if (metadata == null || !metadata.isReadable()) {
            return null;
        }
        try {
            for (CompositeMetadata.Entry entry : new CompositeMetadata(metadata, false)) {
                if (ROUTING.equals(entry.getMimeType())) {
                    for (String tag : new RoutingMetadata(entry.getContent())) {
                        return tag;
                    }
                }
            }
        } catch (RuntimeException malformed) {
            return null;
        }
        return null;
    }
}
