package dev.relay.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NettyBufferChecksTests {

    private final String accessible = System.getProperty(NettyBufferChecks.ACCESSIBLE);
    private final String bounds = System.getProperty(NettyBufferChecks.BOUNDS);

    @AfterEach
    void restore() {
        restore(NettyBufferChecks.ACCESSIBLE, accessible);
        restore(NettyBufferChecks.BOUNDS, bounds);
    }

    @Test
    void relaxesWhatIsNotConfiguredAndKeepsWhatIs() {
        System.setProperty(NettyBufferChecks.ACCESSIBLE, "true");
        System.clearProperty(NettyBufferChecks.BOUNDS);

        NettyBufferChecks.relaxUnlessConfigured();

        assertThat(System.getProperty(NettyBufferChecks.ACCESSIBLE)).isEqualTo("true");
        assertThat(System.getProperty(NettyBufferChecks.BOUNDS)).isEqualTo("false");
    }

    private static void restore(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }
}
