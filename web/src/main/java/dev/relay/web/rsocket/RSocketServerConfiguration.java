package dev.relay.web.rsocket;

import io.rsocket.frame.decoder.PayloadDecoder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.rsocket.server.RSocketServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

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
}
