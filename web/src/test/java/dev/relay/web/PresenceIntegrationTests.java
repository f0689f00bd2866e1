package dev.relay.web;

import dev.relay.api.ErrorCode;
import dev.relay.api.Routes;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.Event;
import dev.relay.api.wire.UserInfo;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import dev.relay.streaming.chat.ChatService;
import dev.relay.streaming.chat.PresenceInterest;
import dev.relay.streaming.port.AccountRepository;
import dev.relay.streaming.port.EventBus;
import dev.relay.web.security.JwtTokens;
import dev.relay.web.support.EventProbe;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Presence over real connections (docs/protocol.md, PRESENCE): only conversation peers and watched users, changes
 * coalesced over the window (1 s here, so that a test can flap a connection within one) and sent in batches.
 */
@TestPropertySource(properties = "relay.chat.presence-window=1s")
class PresenceIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Duration WINDOW = Duration.ofSeconds(1);

    @Autowired
    AccountRepository accounts;
    @Autowired
    JwtTokens tokens;
    @Autowired
    ChatService chat;
    @Autowired
    EventBus bus;
    @Autowired
    PresenceInterest interest;

    @Test
    void aUserHearsOfConversationPeersAndWatchedUsersAndOfNobodyElse() throws Exception {
        AuthToken alice = newUser();
        AuthToken bob = newUser();   // a conversation before alice's stream opens
        AuthToken carol = newUser(); // watched
        AuthToken dave = newUser();  // unrelated
        AuthToken frank = newUser(); // a conversation that starts while the stream is open
        chat.sendText(alice.userId(), bob.userId(), "hello bob").block(TIMEOUT);
        RelayClient aliceClient = client(alice);
        // After alice's first event (that message): bob is followed as a peer loaded at open, not by replay.
        EventProbe events = EventProbe.open(aliceClient, 1L);
        List<UserInfo> watched = aliceClient.watchPresence(List.of(carol.userId(), UUID.randomUUID().toString()))
                .block(TIMEOUT);
        assertThat(watched).extracting(UserInfo::id).as("unknown ids left out").containsExactly(carol.userId());
        assertThat(watched.get(0).online()).isFalse();
        // A durable event tells that the stream is live; frank becomes a peer by it.
        chat.sendText(frank.userId(), alice.userId(), "hi, I am frank").block(TIMEOUT);
        events.await(e -> e.type() == Event.Type.MESSAGE && e.message().from().equals(frank.userId()), TIMEOUT);
        awaitInterest(bob.userId());

        // dave first: had his change been delivered, it would have come no later than the others'.
        RelayClient daveClient = connected(dave);
        RelayClient bobClient = connected(bob);
        RelayClient carolClient = connected(carol);
        RelayClient frankClient = connected(frank);
        events.await(presence(bob, true), TIMEOUT);
        events.await(presence(carol, true), TIMEOUT);
        events.await(presence(frank, true), TIMEOUT);
        Thread.sleep(WINDOW.toMillis() + 500);
        assertThat(presenceIds(events)).doesNotContain(dave.userId(), alice.userId());
        assertThat(events.of(Event.Type.PRESENCE)).as("the wire's PRESENCE, as before")
                .allMatch(e -> e.id() == null && e.user().username() != null);

        daveClient.close();
        frankClient.close();
        bobClient.close();
        carolClient.close();
        events.await(presence(frank, false), TIMEOUT);
        events.await(presence(bob, false), TIMEOUT);
        events.await(presence(carol, false), TIMEOUT);
        Thread.sleep(WINDOW.toMillis() + 500);
        assertThat(presenceIds(events)).doesNotContain(dave.userId());

        // Watching nobody stops carol's news, while bob, a peer, is still followed.
        assertThat(aliceClient.watchPresence(List.of()).block(TIMEOUT)).isEmpty();
        int before = events.of(Event.Type.PRESENCE).size();
        connected(carol);
        connected(bob);
        events.awaitCount(presence(bob, true), 2, TIMEOUT);
        Thread.sleep(WINDOW.toMillis() + 500);
        assertThat(presenceIds(events).subList(before, presenceIds(events).size())).containsExactly(bob.userId());
        events.close();
    }

    @Test
    void aConnectionFlappingWithinTheWindowIsAnnouncedOnlyByItsFinalState() throws Exception {
        AuthToken alice = newUser();
        AuthToken bob = newUser();
        RelayClient aliceClient = client(alice);
        EventProbe events = EventProbe.open(aliceClient, 0L);
        aliceClient.watchPresence(List.of(bob.userId())).block(TIMEOUT);
        chat.sendText(bob.userId(), alice.userId(), "ping").block(TIMEOUT);
        events.await(e -> e.type() == Event.Type.MESSAGE, TIMEOUT);

        long start = System.nanoTime();
        for (int i = 0; i < 3; i++) {
            RelayClient flapping = RelayClient.connect(ws(), bob.token());
            flapping.me().block(TIMEOUT);
            flapping.close();
        }
        RelayClient stays = connected(bob);
        long flapped = System.nanoTime() - start;
        events.await(presence(bob, true), TIMEOUT);
        Thread.sleep(WINDOW.toMillis() + 500);
        List<Boolean> heard = events.of(Event.Type.PRESENCE).stream().map(e -> e.user().online()).toList();
        if (flapped < WINDOW.toNanos() / 2) {
            // Within one window: seven changes from offline to online, one announcement.
            assertThat(heard).containsExactly(true);
        } else {
            // A slow machine split them over windows: still never more than one per window, ending online.
            assertThat(heard).hasSizeLessThan(7).endsWith(true);
        }
        stays.close();
        events.await(presence(bob, false), TIMEOUT);
        events.close();
    }

    @Test
    void aMassConnectReachesAnInterestedObserverOncePerUserInAFewBatches() {
        AuthToken observer = newUser();
        List<AuthToken> crowd = IntStream.range(0, 200).mapToObj(i -> quickUser()).toList();
        Flux.fromIterable(crowd).flatMap(u -> chat.sendText(u.userId(), observer.userId(), "hi"), 8)
                .blockLast(TIMEOUT);
        Set<String> ids = crowd.stream().map(AuthToken::userId).collect(Collectors.toSet());
        List<Integer> batches = new CopyOnWriteArrayList<>();
        Disposable counting = bus.presence().subscribe(e -> {
            long ours = e.presence().stream().filter(u -> ids.contains(u.id())).count();
            if (ours > 0) {
                batches.add((int) ours);
            }
        });
        RelayClient observerClient = client(observer);
        // After the 200 messages (events 1 to 200): the peers come from the query at open, not from replay.
        EventProbe events = EventProbe.open(observerClient, 200L);
        chat.sendText(crowd.get(0).userId(), observer.userId(), "live?").block(TIMEOUT);
        events.await(e -> e.type() == Event.Type.MESSAGE, TIMEOUT);
        ids.forEach(this::awaitInterest);

        long start = System.nanoTime();
        List<RelayClient> clients = Flux.fromIterable(crowd)
                .flatMap(u -> {
                    RelayClient c = RelayClient.connect(ws(), u.token());
                    return c.me().thenReturn(c);
                }, 50)
                .collectList().block(Duration.ofMinutes(2));
        Predicate<Event> crowdOnline = e -> e.type() == Event.Type.PRESENCE && ids.contains(e.user().id())
                && e.user().online();
        events.awaitCount(crowdOnline, 200, Duration.ofMinutes(1));
        Duration settled = Duration.ofNanos(System.nanoTime() - start);
        try {
            Thread.sleep(WINDOW.toMillis() + 500);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        List<Event> heard = events.of(Event.Type.PRESENCE).stream().filter(e -> ids.contains(e.user().id())).toList();
        assertThat(heard).hasSize(200).allMatch(e -> e.user().online());
        assertThat(heard.stream().map(e -> e.user().id()).distinct()).hasSize(200);
        assertThat(batches.stream().mapToInt(Integer::intValue).sum()).isEqualTo(200);
        System.out.printf("Presence of 200 users connecting at once: all heard online after %d ms, in %d"
                + " envelopes %s%n", settled.toMillis(), batches.size(), batches);
        // Connecting 200 clients takes a few seconds here; each window carries what arrived meanwhile.
        assertThat(batches.size()).as("presence envelopes for the 200, in %s: %s", settled, batches)
                .isLessThanOrEqualTo(Math.max(3, (int) (settled.toMillis() / WINDOW.toMillis()) + 2));
        counting.dispose();
        clients.forEach(RelayClient::close);
        events.awaitCount(e -> e.type() == Event.Type.PRESENCE && ids.contains(e.user().id()) && !e.user().online(),
                200, Duration.ofMinutes(1));
        events.close();
    }

    @Test
    void aNewUserIsAnnouncedToEveryoneSoThatAppsCanListAndWatchThem() {
        RelayClient early = client(newUser());
        AuthToken peer = newUser();
        EventProbe events = EventProbe.open(early, 0L);
        // The stream is live once it has delivered an event sent after it was opened.
        early.sendText(peer.userId(), "hello").block(TIMEOUT);
        events.await(e -> e.type() == Event.Type.MESSAGE, TIMEOUT);

        AuthToken newcomer = newUser();

        Event announced = events.await(e -> e.type() == Event.Type.USER && e.user().id().equals(newcomer.userId()),
                TIMEOUT);
        assertThat(announced.user().username()).isEqualTo(newcomer.username());
        assertThat(early.watchPresence(List.of(newcomer.userId())).block(TIMEOUT)).extracting(UserInfo::id)
                .containsExactly(newcomer.userId());
        events.close();
    }

    @Test
    void watchingMoreThanFiveHundredUsersOrNothingAtAllIsAnInvalidRequest() {
        RelayClient client = client(newUser());
        List<String> many = IntStream.range(0, 501).mapToObj(i -> UUID.randomUUID().toString()).toList();
        assertThatThrownBy(() -> client.watchPresence(many).block(TIMEOUT))
                .isInstanceOfSatisfying(RelayException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
                    assertThat(e.getMessage()).contains("500");
                });
        assertThatThrownBy(() -> client.watchPresence(null).block(TIMEOUT))
                .isInstanceOfSatisfying(RelayException.class, e -> assertThat(e.code())
                        .isEqualTo(ErrorCode.INVALID_REQUEST));
        // Exactly 500, duplicates counted once, is fine.
        List<String> fine = new ArrayList<>(many.subList(0, 500));
        fine.add(many.get(0));
        assertThat(client.watchPresence(fine).block(TIMEOUT)).isEmpty();
        // A connection's watch set goes with it.
        int before = interest.connections();
        RelayClient watcher = RelayClient.connect(ws(), newUser().token());
        watcher.watchPresence(List.of(UUID.randomUUID().toString())).block(TIMEOUT);
        assertThat(interest.connections()).isEqualTo(before + 1);
        watcher.close();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (interest.connections() > before && System.nanoTime() < deadline) {
            sleep(20);
        }
        assertThat(interest.connections()).as("connections known to the presence index").isLessThanOrEqualTo(before);
        // Data that is not the request's shape.
        assertThatThrownBy(() -> client.rsocket().flatMap(r -> r.requestResponse(RelayClient.payload(
                Routes.PRESENCE_WATCH, Map.of("users", Map.of("not", "a list"))))).block(TIMEOUT))
                .hasMessageContaining("INVALID_REQUEST");
    }

    /** Waits until a stream on this node follows {@code userId} (peers load as the stream opens). */
    private void awaitInterest(String userId) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (interest.interested(userId) == 0) {
            assertThat(System.nanoTime()).as("a stream follows " + userId).isLessThan(deadline);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static List<String> presenceIds(EventProbe events) {
        return events.of(Event.Type.PRESENCE).stream().map(e -> e.user().id()).toList();
    }

    private RelayClient connected(AuthToken user) {
        RelayClient c = client(user);
        c.me().block(TIMEOUT);
        return c;
    }

    /** An account made directly (registration is throttled per address), with a token for it. */
    private AuthToken quickUser() {
        String id = UUID.randomUUID().toString();
        AccountRepository.Account account = accounts.create(id, "p" + id.replace("-", "").substring(0, 12),
                "{noop}unused", false).block(TIMEOUT);
        return tokens.issue(account);
    }

    private static Predicate<Event> presence(AuthToken user, boolean online) {
        return e -> e.type() == Event.Type.PRESENCE && e.user().id().equals(user.userId())
                && e.user().online() == online;
    }
}
