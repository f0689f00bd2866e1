package dev.relay.web;

import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.ChatMessage;
import dev.relay.api.wire.Event;
import dev.relay.client.RelayClient;
import dev.relay.infra.events.InProcessEventBus;
import dev.relay.streaming.port.EventBus;
import dev.relay.web.support.EventProbe;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.TestPropertySource;
import reactor.core.publisher.Flux;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #19 §4: the bus is best effort ({@link EventBus}), so a durable event it loses must still reach a connected
 * stream, even when it is the user's last one and no later event reveals the gap. The service runs on a bus that
 * drops the next durable event for the users a test names; a single node, as the in-process bus serves.
 */
@TestPropertySource(properties = "relay.cluster.position-check-interval=1s")
class ChatEventLossIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @Autowired
    LossyBus bus;

    @Test
    void aDurableEventTheBusLostArrivesFromTheLog() {
        AuthToken alice = newUser();
        AuthToken bob = newUser();
        RelayClient aliceClient = client(alice);
        // From the log's start: the first message arrives whether the stream opens before it is sent or after.
        try (EventProbe bobEvents = EventProbe.open(client(bob), 0L)) {
            // The stream is live once the first message has arrived.
            ChatMessage first = aliceClient.sendText(bob.userId(), "first").block(TIMEOUT);
            bobEvents.await(e -> e.type() == Event.Type.MESSAGE && e.message().id() == first.id(), TIMEOUT);

            bus.dropNextFor(bob.userId());
            ChatMessage lost = aliceClient.sendText(bob.userId(), "lost on the bus").block(TIMEOUT);
            assertThat(bus.dropped()).as("the bus dropped the message's event for bob").isTrue();
            // Nothing follows it: only the stream's position check can find it.
            Event arrived = bobEvents.await(e -> e.type() == Event.Type.MESSAGE && e.message().id() == lost.id(),
                    TIMEOUT);
            assertThat(arrived.message().text()).isEqualTo("lost on the bus");
            assertThat(bobEvents.of(Event.Type.MESSAGE)).extracting(e -> e.message().id())
                    .containsExactly(first.id(), lost.id());
        }
    }

    /** The in-process bus, but the next durable envelope for a named user is dropped. */
    static final class LossyBus implements EventBus {
        private final EventBus delegate = new InProcessEventBus();
        private final Set<String> dropNext = ConcurrentHashMap.newKeySet();
        private volatile boolean dropped;

        void dropNextFor(String userId) {
            dropped = false;
            dropNext.add(userId);
        }

        boolean dropped() {
            return dropped;
        }

        @Override
        public void publish(Envelope envelope) {
            if (envelope.event() != null && envelope.event().id() != null && envelope.userId() != null
                    && dropNext.remove(envelope.userId())) {
                dropped = true;
                return;
            }
            delegate.publish(envelope);
        }

        @Override
        public Flux<Envelope> subscribe() {
            return delegate.subscribe();
        }

        @Override
        public Flux<Envelope> subscribe(String userId) {
            return delegate.subscribe(userId);
        }

        @Override
        public Flux<Envelope> presence() {
            return delegate.presence();
        }
    }

    @TestConfiguration
    static class Lossy {
        @Bean
        LossyBus eventBus() {
            return new LossyBus();
        }
    }
}
