package dev.relay.web;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.ChatMessage;
import dev.relay.api.wire.Event;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import dev.relay.web.support.EventProbe;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What one user may hold and ask (issue #18 §3): connections per user, streams per connection, requests and writes
 * per user, each refused with its documented code while other users go on; and repeated writes that change nothing
 * reach nobody.
 */
@TestPropertySource(properties = {
        "relay.connections.max-per-user=3",
        "relay.connections.max-streams=4",
        "relay.connections.requests-per-minute=1",
        "relay.connections.writes-per-minute=1"})
class AbuseLimitsIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int REQUEST_BURST = 40;
    private static final int WRITE_BURST = 8;

    @DynamicPropertySource
    static void limits(DynamicPropertyRegistry registry) {
        // The base class raises these for every other test.
        OVERRIDES.put("relay.connections.request-burst", () -> String.valueOf(REQUEST_BURST));
        OVERRIDES.put("relay.connections.write-burst", () -> String.valueOf(WRITE_BURST));
        registry.add("relay.test.abuse-limits", () -> "true");
    }

    @AfterAll
    static void clearOverrides() {
        OVERRIDES.clear();
    }

    @Test
    void aUserHoldsAtMostTheConfiguredConnectionsOnANode() {
        AuthToken user = newUser();
        List<RelayClient> open = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            RelayClient c = client(user);
            c.me().block(TIMEOUT);
            open.add(c);
        }
        assertCode(() -> client(user).me().block(TIMEOUT), ErrorCode.LIMIT_EXCEEDED);
        // Others are not affected, and a closed connection frees its place.
        assertThat(client(newUser()).me().block(TIMEOUT)).isNotNull();
        open.get(0).close();
        awaitUntil(() -> {
            RelayClient again = RelayClient.connect(ws(), user.token());
            try {
                return again.me().block(TIMEOUT) != null;
            } catch (RelayException e) {
                return false;
            } finally {
                again.close();
            }
        });
    }

    @Test
    void aConnectionHoldsAtMostTheConfiguredStreams() {
        RelayClient client = client(newUser());
        List<Disposable> streams = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            EventProbe probe = EventProbe.open(client, 0L);
            streams.add(probe::close);
        }
        assertThat(EventProbe.open(client, 0L).awaitEnd(TIMEOUT)).hasValueSatisfying(e -> assertThat(e)
                .isInstanceOfSatisfying(RelayException.class,
                        r -> assertThat(r.code()).isEqualTo(ErrorCode.LIMIT_EXCEEDED)));
        // Request-response still works on that connection, and an ended stream frees its place.
        assertThat(client.me().block(TIMEOUT)).isNotNull();
        streams.get(0).dispose();
        awaitUntil(() -> {
            EventProbe probe = EventProbe.open(client, 0L);
            try {
                probe.awaitEnd(Duration.ofMillis(500));
                return false;
            } catch (AssertionError stillOpen) {
                return true;
            } finally {
                probe.close();
            }
        });
    }

    @Test
    void requestsAndWritesAreThrottledPerUserOthersGoOn() {
        RelayClient reader = client(newUser());
        assertCode(() -> {
            for (int i = 0; i <= REQUEST_BURST; i++) {
                reader.me().block(TIMEOUT);
            }
        }, ErrorCode.RATE_LIMITED);

        RelayClient writer = client(newUser());
        assertCode(() -> {
            for (int i = 0; i <= WRITE_BURST; i++) {
                writer.updateProfile("name " + i).block(TIMEOUT);
            }
        }, ErrorCode.RATE_LIMITED);
        assertThat(client(newUser()).me().block(TIMEOUT)).isNotNull();
    }

    @Test
    void repeatingAProfileOrAReadMarkerReachesNobodyAgain() {
        AuthToken alice = newUser();
        AuthToken bob = newUser();
        RelayClient aliceClient = client(alice);
        RelayClient bobClient = client(bob);
        ChatMessage hello = aliceClient.sendText(bob.userId(), "hello").block(TIMEOUT);
        EventProbe aliceEvents = EventProbe.open(aliceClient, null);
        EventProbe bobEvents = EventProbe.open(bobClient, null);
        String name = "Bob " + UUID.randomUUID().toString().substring(0, 6);
        for (int i = 0; i < 3; i++) {
            bobClient.updateProfile(name).block(TIMEOUT);
            bobClient.markRead(alice.userId(), hello.id()).block(TIMEOUT);
        }
        // A marker after the repeats, so that anything they published would have arrived before it.
        aliceClient.sendText(bob.userId(), "after").block(TIMEOUT);
        aliceEvents.await(e -> e.type() == Event.Type.MESSAGE, TIMEOUT);
        bobEvents.await(e -> e.type() == Event.Type.MESSAGE, TIMEOUT);
        assertThat(aliceEvents.of(Event.Type.USER)).filteredOn(e -> e.user().id().equals(bob.userId())).hasSize(1);
        assertThat(aliceEvents.of(Event.Type.READ)).hasSize(1);
        assertThat(bobEvents.of(Event.Type.READ)).hasSize(1);
    }

    private static void assertCode(Runnable call, ErrorCode code) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(RelayException.class,
                e -> assertThat(e.code()).isEqualTo(code));
    }

    private static void awaitUntil(java.util.function.BooleanSupplier condition) {
        long end = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within %s", TIMEOUT).isLessThan(end);
            Mono.delay(Duration.ofMillis(100)).block();
        }
    }
}
