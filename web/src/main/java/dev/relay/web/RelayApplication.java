package dev.relay.web;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The Relay service: RSocket over WebSocket at /rsocket, HTTP API under /api. */
@SpringBootApplication
public class RelayApplication {

    public static void main(String[] args) {
        tuneNetty();
        SpringApplication.run(RelayApplication.class, args);
    }

    /**
     * Every byte a client uploads arrives in masked WebSocket frames, and Netty unmasks them eight bytes at a time,
     * checking at each step that the buffer is still referenced: a profile of an upload showed 20 % of the service's
     * CPU in that check alone. The check guards against Netty-internal use-after-release bugs, which the test suite
     * runs with the check on to catch; in the running service it is off unless set explicitly.
     */
    static void tuneNetty() {
        if (System.getProperty("io.netty.buffer.checkAccessible") == null) {
            System.setProperty("io.netty.buffer.checkAccessible", "false");
        }
    }
}
