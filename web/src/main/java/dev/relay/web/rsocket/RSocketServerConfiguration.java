package dev.relay.web.rsocket;

import io.rsocket.core.RSocketServer;
import io.rsocket.transport.ServerTransport.ConnectionAcceptor;
import io.rsocket.frame.decoder.PayloadDecoder;
import io.rsocket.transport.netty.WebsocketDuplexConnection;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.rsocket.RSocketProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.rsocket.server.RSocketServerCustomizer;
import org.springframework.boot.web.embedded.netty.NettyRouteProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.messaging.rsocket.annotation.support.RSocketMessageHandler;
import reactor.netty.Connection;
import reactor.netty.http.server.WebsocketServerSpec;

/** RSocket server settings Spring Boot does not expose as properties for the WebSocket-mapped server. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(ConnectionLimits.class)
class RSocketServerConfiguration {

    /**
     * Bounds the memory a fragmented payload may take while it is reassembled. rsocket-java accepts no bound below
     * its largest frame (16 MiB); chunks above the announced maximum are then refused by the engine.
     */
    private static final int MAX_REASSEMBLED_PAYLOAD = 16 * 1024 * 1024;

    @Bean
    RSocketServerCustomizer relayResponderCustomizer(ConnectionLimits limits) {
        return server -> server
                .interceptors(registry -> registry
                        .forConnection(new FrameValidation())
                        .forResponder(new RelayResponderInterceptor(limits.maxStreams())))
                .maxInboundPayloadSize(MAX_REASSEMBLED_PAYLOAD)
                // Payloads keep the pooled frame buffers they arrived in, instead of a heap copy of each: every
                // chunk's bytes are copied once (into its part buffer) and released there (DataBufferChunk).
                .payloadDecoder(PayloadDecoder.ZERO_COPY);
    }

    /**
     * The RSocket endpoint as Spring Boot maps it ({@code spring.rsocket.server.*}), except that a WebSocket message
     * split into continuation frames is put back together before RSocket reads it: rsocket-java takes each WebSocket
     * frame for one RSocket frame, and browsers may split a large message (Chromium does), so browser clients had to
     * keep every RSocket frame within one WebSocket frame of 64 KiB. Ordered right after the origin check
     * ({@code OriginCheckRouteProvider}, first), it serves the path instead of Boot's route, which stays unused.
     * Each connection's socket reads are counted ({@link SocketReads}) for the credit check of {@link FrameValidation}.
     */
    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE + 1)
    NettyRouteProvider relayRSocketRoute(RSocketProperties properties, RSocketMessageHandler handler,
                                         ObjectProvider<RSocketServerCustomizer> customizers) {
        RSocketProperties.Server.Spec spec = properties.getServer().getSpec();
        int maxMessage = spec.getMaxFramePayloadLength() == null ? 65_536
                : (int) spec.getMaxFramePayloadLength().toBytes();
        WebsocketServerSpec.Builder websocket = WebsocketServerSpec.builder().maxFramePayloadLength(maxMessage)
                .handlePing(spec.isHandlePing()).compress(spec.isCompress());
        if (spec.getProtocols() != null) {
            websocket.protocols(spec.getProtocols());
        }
        WebsocketServerSpec websocketSpec = websocket.build();
        return routes -> {
            RSocketServer server = RSocketServer.create(handler.responder());
            customizers.orderedStream().forEach(customizer -> customizer.customize(server));
            ConnectionAcceptor acceptor = server.asConnectionAcceptor();
            return routes.ws(properties.getServer().getMappingPath(), (in, out) -> {
                Connection connection = (Connection) in.aggregateFrames(maxMessage);
                SocketReads reads = new SocketReads();
                connection.channel().pipeline().addFirst(SocketReads.NAME, reads);
                return acceptor.apply(new CountedReadsConnection(
                                new WebsocketDuplexConnection("server", connection), reads))
                        .then(out.neverComplete());
            }, websocketSpec);
        };
    }
}
