package dev.relay.web.rsocket;

import dev.relay.web.config.TransferProperties;
import org.springframework.boot.rsocket.server.RSocketServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** RSocket server settings Spring Boot does not expose as properties for the WebSocket-mapped server. */
@Configuration(proxyBeanMethods = false)
class RSocketServerConfiguration {

    /** Reassembled fragments may not exceed the largest chunk plus room for metadata. */
    private static final int METADATA_ALLOWANCE = 64 * 1024;

    @Bean
    RSocketServerCustomizer relayResponderCustomizer(TransferProperties transfer) {
        return server -> server
                .interceptors(registry -> registry.forResponder(new RelayResponderInterceptor()))
                .maxInboundPayloadSize((int) transfer.maxChunkSize().toBytes() + METADATA_ALLOWANCE);
    }
}
