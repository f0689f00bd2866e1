package dev.relay.web.http;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.embedded.netty.NettyServerCustomizer;
import org.springframework.stereotype.Component;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.logging.AccessLog;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Reactor Netty's access log (logger {@code reactor.netty.http.server.AccessLog}, at INFO), in its usual format but
 * with download-link tokens masked: on with {@code relay.http.access-log=true} or Reactor Netty's own switch,
 * {@code -Dreactor.netty.http.server.accessLogEnabled=true}, which would otherwise log them in the clear.
 */
@Component
class RedactedAccessLog implements NettyServerCustomizer {

    private static final String FORMAT = "{} - {} [{}] \"{} {} {}\" {} {} {}";

    private final boolean enabled;

    RedactedAccessLog(@Value("${relay.http.access-log:false}") boolean enabled) {
        this.enabled = enabled || Boolean.getBoolean("reactor.netty.http.server.accessLogEnabled");
    }

    @Override
    public HttpServer apply(HttpServer server) {
        return server.accessLog(enabled, args -> AccessLog.create(FORMAT, address(args.remoteAddress()),
                args.user(), args.zonedDateTime(), args.method(), LinkTokenRedaction.mask(args.uri()),
                args.protocol(), args.status(), args.contentLength() < 0 ? "-" : args.contentLength(),
                args.duration()));
    }

    private static String address(SocketAddress address) {
        return address instanceof InetSocketAddress inet ? inet.getHostString() : "-";
    }
}
