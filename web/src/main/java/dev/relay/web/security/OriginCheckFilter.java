package dev.relay.web.security;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.ErrorBody;
import dev.relay.web.http.JsonErrors;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Refuses WebSocket upgrades from foreign browser origins (cross-site WebSocket hijacking): a page on another site
 * must not be able to open a connection to the service in a user's browser. Same-origin and the configured origins
 * are allowed; clients that send no Origin (services, the CLI) are not browsers and are allowed.
 */
public final class OriginCheckFilter implements WebFilter {

    private final String path;
    private final Set<String> allowed;

    public OriginCheckFilter(String path, List<String> allowedOrigins) {
        this.path = path;
        this.allowed = allowedOrigins.stream().map(OriginCheckFilter::normalize).collect(Collectors.toSet());
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (!exchange.getRequest().getPath().value().equals(path)) {
            return chain.filter(exchange);
        }
        String origin = exchange.getRequest().getHeaders().getOrigin();
        if (origin == null || isAllowed(origin, exchange)) {
            return chain.filter(exchange);
        }
        return JsonErrors.write(exchange, HttpStatus.FORBIDDEN, ErrorBody.of(ErrorCode.FORBIDDEN,
                "WebSocket connections from origin " + origin + " are not allowed; add it to"
                        + " relay.security.allowed-origins if it is yours."));
    }

    private boolean isAllowed(String origin, ServerWebExchange exchange) {
        String normalized = normalize(origin);
        if (allowed.contains(normalized) || allowed.contains("*")) {
            return true;
        }
        String host = exchange.getRequest().getHeaders().getFirst(HttpHeaders.HOST);
        if (host == null) {
            return false;
        }
        try {
            URI uri = URI.create(normalized);
            String originHost = uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
            return host.toLowerCase(Locale.ROOT).equals(originHost);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String normalize(String origin) {
        String o = origin.strip().toLowerCase(Locale.ROOT);
        return o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
    }
}
