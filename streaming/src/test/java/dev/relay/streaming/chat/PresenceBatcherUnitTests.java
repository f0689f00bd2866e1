package dev.relay.streaming.chat;

import dev.relay.api.wire.UserInfo;
import dev.relay.streaming.port.AccountRepository.Account;
import dev.relay.streaming.port.EventBus.Envelope;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class PresenceBatcherUnitTests {

    private static final Duration WINDOW = Duration.ofMillis(200);

    private final RecordingBus bus = new RecordingBus();
    private final AtomicInteger lookups = new AtomicInteger();
    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    private final PresenceBatcher batcher = new PresenceBatcher(this::accounts, bus, WINDOW, time);

    private Flux<Account> accounts(Collection<String> ids) {
        lookups.incrementAndGet();
        return Flux.fromIterable(ids).filter(id -> !id.startsWith("gone"))
                .map(id -> new Account(id, "n" + id, "N " + id, "hash", UserInfo.Role.USER, false, 0, Instant.EPOCH));
    }

    @Test
    void changesOfOneWindowGoOutTogetherWhenItEndsNotBefore() {
        batcher.changed("a", true);
        time.advanceTimeBy(Duration.ofMillis(100));
        batcher.changed("b", true);
        batcher.changed("c", false);
        time.advanceTimeBy(Duration.ofMillis(99));
        assertThat(bus.published).isEmpty();
        time.advanceTimeBy(Duration.ofMillis(1));
        assertThat(bus.published).hasSize(1);
        assertThat(states(bus.published.get(0))).isEqualTo(Map.of("a", true, "b", true, "c", false));
        assertThat(bus.published.get(0).userId()).isNull();
        assertThat(bus.published.get(0).event()).isNull();
        assertThat(bus.published.get(0).presence().get(0).username()).isEqualTo("na");
        assertThat(lookups).hasValue(1);

        // The next change opens a new window.
        batcher.changed("a", false);
        time.advanceTimeBy(WINDOW);
        assertThat(bus.published).hasSize(2);
        assertThat(states(bus.published.get(1))).isEqualTo(Map.of("a", false));
    }

    @Test
    void aUserBackWhereTheyWereWithinTheWindowIsNotNewsOtherwiseOnlyTheFinalStateIs() {
        for (int i = 0; i < 5; i++) {
            batcher.changed("flappy", true);
            batcher.changed("flappy", false);
        }
        batcher.changed("leaving", false);
        batcher.changed("leaving", true);
        batcher.changed("leaving", false);
        batcher.changed("arriving", true);
        batcher.changed("arriving", false);
        batcher.changed("arriving", true);
        time.advanceTimeBy(WINDOW);
        assertThat(bus.published).hasSize(1);
        assertThat(states(bus.published.get(0))).isEqualTo(Map.of("leaving", false, "arriving", true));
    }

    @Test
    void aWindowWithNoNetChangePublishesNothingAndLooksNothingUp() {
        batcher.changed("a", true);
        batcher.changed("a", false);
        time.advanceTimeBy(WINDOW);
        assertThat(bus.published).isEmpty();
        assertThat(lookups).hasValue(0);
    }

    @Test
    void aMassReconnectIsAFewEnvelopesOfAtMostOneThousandChanges() {
        IntStream.range(0, 2500).forEach(i -> batcher.changed("u" + i, true));
        time.advanceTimeBy(WINDOW);
        assertThat(bus.published).extracting(e -> e.presence().size()).containsExactly(1000, 1000, 500);
        assertThat(bus.published.stream().flatMap(e -> e.presence().stream()).map(UserInfo::id).distinct())
                .hasSize(2500);
        assertThat(bus.published.stream().flatMap(e -> e.presence().stream())).allMatch(UserInfo::online);
    }

    @Test
    void unknownAccountsAreLeftOut() {
        batcher.changed("gone1", true);
        batcher.changed("here", true);
        time.advanceTimeBy(WINDOW);
        assertThat(states(bus.published.get(0))).isEqualTo(Map.of("here", true));
        batcher.changed("gone2", false);
        time.advanceTimeBy(WINDOW);
        assertThat(bus.published).hasSize(1);
    }

    @Test
    void aFailedLookupIsRetriedBeforeTheWindowIsGivenUp() {
        AtomicInteger calls = new AtomicInteger();
        PresenceBatcher flaky = new PresenceBatcher(ids -> calls.incrementAndGet() < 3
                ? Flux.error(new IllegalStateException("database hiccup")) : accounts(ids), bus, WINDOW, time);
        flaky.changed("a", true);
        time.advanceTimeBy(WINDOW);
        // The retries' backoff runs on Reactor's own timer: wait for it in real time.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (bus.published.isEmpty() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(bus.published).hasSize(1);
        assertThat(calls).hasValue(3);
        flaky.dispose();
    }

    @Test
    void closingPublishesTheOpenWindowAtOnce() {
        batcher.changed("a", false);
        batcher.close();
        assertThat(bus.published).hasSize(1);
        assertThat(states(bus.published.get(0))).isEqualTo(Map.of("a", false));
        assertThat(batcher.isDisposed()).isTrue();
    }

    private static Map<String, Boolean> states(Envelope envelope) {
        return envelope.presence().stream().collect(Collectors.toMap(UserInfo::id, UserInfo::online));
    }
}
