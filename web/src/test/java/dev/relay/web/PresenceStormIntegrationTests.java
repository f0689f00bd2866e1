package dev.relay.web;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.Event;
import dev.relay.api.wire.UserInfo;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import dev.relay.streaming.chat.ChatService;
import dev.relay.streaming.port.AccountRepository;
import dev.relay.web.security.JwtTokens;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #19 §4 on one node, opt-in ({@code -Drelay.storm.users=1000}; not part of the suite): that many users
 * connect at once, each as the browser app does (an event stream, its conversations, then {@code presence.watch}
 * of the same first 500 users it lists; its few conversation peers come without asking), and the test measures how
 * long until every client sees every user it follows online, and how many PRESENCE events that took in all (a
 * broadcast would send users squared).
 * <p>
 * On 2026-12-07 it did not pass: most requests kept failing with STORAGE_UNAVAILABLE for minutes while MariaDB showed
 * the pool's 20 connections idle. The cause was {@code chat.list} holding its conversations query open while it
 * queried each peer's account (ChatDatabasePoolIntegrationTests, in the suite, covers it). Since then, 1,000 users on
 * the shared two-core machine (load average 4 to 9): all connected and watching after 30 s, everyone saw everyone it
 * follows online after 57 s, 369,774 PRESENCE events (a broadcast: 999,000), no request retried. At a load average of
 * 14 to 22 it failed: 49 requests retried after STORAGE_UNAVAILABLE (acquire timeouts, not examined further) and 4
 * clients not settled after 371 s.
 */
@EnabledIfSystemProperty(named = "relay.storm.users", matches = "\\d+")
@TestPropertySource(properties = {"relay.connections.requests-per-minute=100000",
        "relay.connections.request-burst=100000"})
class PresenceStormIntegrationTests extends ServiceIntegrationTest {

    private static final int PEERS_EACH = 2;

    @Autowired
    AccountRepository accounts;
    @Autowired
    JwtTokens tokens;
    @Autowired
    ChatService chat;

    @Test
    void aMassConnectSettles() throws Exception {
        int n = Integer.getInteger("relay.storm.users");
        List<AuthToken> users = Flux.range(0, n).flatMap(i -> Mono.fromCallable(this::quickUser)
                .subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic()), 16).collectList()
                .block(Duration.ofMinutes(10));
        // A ring of conversations: user i with i+1 .. i+PEERS_EACH.
        Flux.range(0, n).flatMap(i -> Flux.range(1, PEERS_EACH).concatMap(d -> chat.sendText(users.get(i).userId(),
                users.get((i + d) % n).userId(), "hi")), 16).blockLast(Duration.ofMinutes(10));
        List<String> listed = users.stream().map(AuthToken::userId).sorted().limit(500).toList();

        AtomicLong presenceEvents = new AtomicLong();
        AtomicLong retries = new AtomicLong();
        AtomicLong ready = new AtomicLong();
        List<Set<String>> missing = new ArrayList<>();
        List<RelayClient> clients = new ArrayList<>();
        List<Disposable> streams = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Set<String> follows = new HashSet<>(listed);
            for (int d = 1; d <= PEERS_EACH; d++) {
                follows.add(users.get((i + d) % n).userId());
                follows.add(users.get((i - d + n) % n).userId());
            }
            follows.remove(users.get(i).userId());
            Set<String> left = ConcurrentHashMap.newKeySet();
            left.addAll(follows);
            missing.add(left);
        }
        long start = System.nanoTime();
        Flux.range(0, n).flatMap(i -> {
            RelayClient client = RelayClient.connect(ws(), users.get(i).token());
            synchronized (clients) {
                clients.add(client);
            }
            Set<String> left = missing.get(i);
            Disposable stream = client.events(null).filter(e -> e.type() == Event.Type.PRESENCE)
                    .subscribe(e -> {
                        presenceEvents.incrementAndGet();
                        if (e.user().online()) {
                            left.remove(e.user().id());
                        }
                    }, e -> { });
            synchronized (streams) {
                streams.add(stream);
            }
            // As the app: the conversations (peers' state), then the watch of the listed users (theirs).
            List<String> watch = listed.stream().filter(id -> !id.equals(users.get(i).userId())).toList();
            return client.conversations().filter(c -> c.peer().online()).doOnNext(c -> left.remove(c.peer().id()))
                    .then(client.watchPresence(watch)).doOnNext(state -> state.stream()
                            .filter(UserInfo::online).forEach(u -> left.remove(u.id())))
                    // What a client does when the service is busy: try again a little later.
                    .retryWhen(Retry.backoff(10, Duration.ofMillis(500)).maxBackoff(Duration.ofSeconds(2))
                            .filter(e -> e instanceof RelayException r && r.code() == ErrorCode.STORAGE_UNAVAILABLE)
                            .doBeforeRetry(r -> retries.incrementAndGet()))
                    .doOnSuccess(state -> ready.incrementAndGet());
        }, 200).onErrorResume(e -> Mono.empty()).take(Duration.ofMinutes(5)).blockLast();
        long connected = System.nanoTime() - start;
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (missing.stream().anyMatch(s -> !s.isEmpty()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        long settled = System.nanoTime() - start;
        long unsettled = missing.stream().filter(s -> !s.isEmpty()).count();
        System.out.printf("Presence storm, %d users: %d connected and watching after %d ms, every client saw"
                        + " everyone it follows online after %d ms (%d clients not); %d PRESENCE events delivered"
                        + " (a broadcast: %d); %d requests retried after STORAGE_UNAVAILABLE%n", n, ready.get(),
                connected / 1_000_000, settled / 1_000_000, unsettled, presenceEvents.get(), (long) n * (n - 1),
                retries.get());
        streams.forEach(Disposable::dispose);
        clients.forEach(RelayClient::close);
        assertThat(unsettled).isZero();
    }

    private AuthToken quickUser() {
        String id = UUID.randomUUID().toString();
        return tokens.issue(accounts.create(id, "s" + id.replace("-", "").substring(0, 12), "{noop}unused", false)
                .block(Duration.ofSeconds(30)));
    }
}
