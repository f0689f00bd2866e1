package dev.relay.web.security;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.ErrorBody;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.springframework.boot.web.embedded.netty.NettyRouteProvider;
import org.springframework.core.Ordered;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRoutes;

import dev.relay.web.http.JsonErrors;

/**
 * Refuses WebSocket upgrades of the RSocket path from foreign origins. The RSocket endpoint is a Netty route that
 * bypasses WebFlux (and so Spring Security's web filters), hence a route of its own, placed before it.
 */
public final class OriginCheckRouteProvider implements NettyRouteProvider, Ordered {

    private final String path;
    private final OriginPolicy policy;

    public OriginCheckRouteProvider(String path, OriginPolicy policy) {
        this.path = path;
        this.policy = policy;
    }

    @Override
    public HttpServerRoutes apply(HttpServerRoutes routes) {
        return routes.route(request -> path.equals(request.fullPath())
                        && !policy.allows(request.requestHeaders().get(HttpHeaderNames.ORIGIN),
                        request.requestHeaders().get(HttpHeaderNames.HOST)),
                (request, response) -> response.status(HttpResponseStatus.FORBIDDEN)
                        .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                        .sendByteArray(Mono.fromCallable(() -> JsonErrors.bytes(ErrorBody.of(
                                ErrorCode.FORBIDDEN, "WebSocket connections from origin "
                                        + request.requestHeaders().get(HttpHeaderNames.ORIGIN) + " are not allowed;"
                                        + " add it to relay.security.allowed-origins if it is yours."))))
                        .then());
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }

}
