package dev.relay.web;

import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.ChatMessage;
import dev.relay.api.wire.Conversation;
import dev.relay.client.RelayClient;
import dev.relay.streaming.chat.ChatService;
import dev.relay.streaming.port.AccountRepository;
import dev.relay.web.security.JwtTokens;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #19 §4, the mass reconnect's STORAGE_UNAVAILABLE with the database idle: a request must never hold a pooled
 * connection while it waits for another one, nor for as long as a client takes to read. A small pool (4) makes what
 * a reconnect of thousands did to 20 connections happen with a dozen clients: before the fix, each
 * {@code chat.list} held its conversations query open while it looked up one peer after the other, so a dozen at
 * once held every connection and waited for a fifth until the acquire timeout; and a history read by a client that
 * asked for one message held its connection until the client asked for the rest.
 */
@TestPropertySource(properties = {"spring.r2dbc.pool.initial-size=2", "spring.r2dbc.pool.max-size=4",
        "spring.r2dbc.pool.max-acquire-time=2s", "relay.connections.requests-per-minute=100000",
        "relay.connections.request-burst=100000"})
class ChatDatabasePoolIntegrationTests extends ServiceIntegrationTest {

    private static final int USERS = 12;
    private static final int PEERS_EACH = 3;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Autowired
    AccountRepository accounts;
    @Autowired
    JwtTokens tokens;
    @Autowired
    ChatService chat;

    @Test
    void manyConversationListsAtOnceAndSlowHistoryReadersLeaveThePoolUsable() {
        List<AuthToken> users = IntStream.range(0, USERS).mapToObj(i -> quickUser()).toList();
        // A ring: user i talks with i+1 .. i+3, so everyone has six conversations.
        Flux.range(0, USERS).concatMap(i -> Flux.range(1, PEERS_EACH).concatMap(d -> chat.sendText(
                users.get(i).userId(), users.get((i + d) % USERS).userId(), "hi " + i + "/" + d)))
                .blockLast(TIMEOUT);
        List<RelayClient> clients = users.stream().map(this::client).toList();

        // Every user's list at once, three times over: each needs its conversations and its peers' accounts.
        for (int round = 0; round < 3; round++) {
            List<List<Conversation>> lists = Flux.fromIterable(clients)
                    .flatMap(c -> c.conversations().collectList(), USERS)
                    .collectList().block(TIMEOUT);
            assertThat(lists).hasSize(USERS).allSatisfy(list -> assertThat(list).hasSize(2 * PEERS_EACH));
        }

        // More readers than pooled connections, each asking for one message of a longer history and no more.
        AuthToken a = users.get(0);
        AuthToken b = users.get(1);
        Flux.range(0, 10).concatMap(i -> chat.sendText(a.userId(), b.userId(), "more " + i)).blockLast(TIMEOUT);
        List<OneAtATime> readers = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            OneAtATime reader = new OneAtATime();
            client(a).history(b.userId(), null, 11).subscribe(reader);
            readers.add(reader);
        }
        Flux.interval(Duration.ofMillis(20)).takeUntil(t -> readers.stream().allMatch(r -> r.got > 0))
                .blockLast(TIMEOUT);
        // While they hold on, the others' requests still get a connection (the acquire timeout is 2 s).
        List<List<Conversation>> lists = Flux.fromIterable(clients.subList(2, USERS))
                .flatMap(c -> c.conversations().collectList(), USERS)
                .collectList().block(TIMEOUT);
        assertThat(lists).hasSize(USERS - 2).allSatisfy(list -> assertThat(list).hasSize(2 * PEERS_EACH));
        // And the slow readers get the rest when they ask.
        readers.forEach(r -> r.request(100));
        Flux.interval(Duration.ofMillis(20)).takeUntil(t -> readers.stream().allMatch(r -> r.done))
                .blockLast(TIMEOUT);
        assertThat(readers).allSatisfy(r -> {
            assertThat(r.error).isNull();
            assertThat(r.got).isEqualTo(11);
        });
    }

    private AuthToken quickUser() {
        String id = UUID.randomUUID().toString();
        return tokens.issue(accounts.create(id, "p" + id.replace("-", "").substring(0, 12), "{noop}unused", false)
                .block(TIMEOUT));
    }

    /** Asks for one message, then for more only when told. */
    private static final class OneAtATime extends BaseSubscriber<ChatMessage> {
        volatile int got;
        volatile boolean done;
        volatile Throwable error;

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            subscription.request(1);
        }

        @Override
        protected void hookOnNext(ChatMessage value) {
            got++;
        }

        @Override
        protected void hookOnError(Throwable throwable) {
            error = throwable;
        }

        @Override
        protected void hookFinally(reactor.core.publisher.SignalType type) {
            done = true;
        }
    }
}
