package dev.relay.web;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The Relay service: RSocket over WebSocket at /rsocket, HTTP API under /api. */
@SpringBootApplication
public class RelayApplication {

    public static void main(String[] args) {
        SpringApplication.run(RelayApplication.class, args);
    }
}
