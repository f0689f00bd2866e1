package dev.relay.web;

import dev.relay.client.NettyBufferChecks;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The Relay service: RSocket over WebSocket at /rsocket, HTTP API under /api. */
@SpringBootApplication
public class RelayApplication {

    public static void main(String[] args) {
        NettyBufferChecks.relaxUnlessConfigured();
        SpringApplication.run(RelayApplication.class, args);
    }
}
