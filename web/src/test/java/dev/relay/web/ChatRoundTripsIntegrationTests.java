package dev.relay.web;

import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.ChatMessage;
import dev.relay.api.wire.Event;
import dev.relay.client.RelayClient;
import dev.relay.web.support.ServiceIntegrationTest;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.Statement;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #19 §4: what a text message costs the database, counted as the requests the service makes of the driver
 * (statements, begin, commit) while one user sends another messages in an existing conversation. A regression guard
 * for the write path's round trips (architecture.md, "Chat and events"), each a wait on the database and on the
 * driver's event loop.
 */
class ChatRoundTripsIntegrationTests extends ServiceIntegrationTest {

    /**
     * The recipient's lookup, begin, the locks, the message, the conversation's last message, two for the events,
     * commit: eight (ten before the conversation's id was cached and the events' numbers came back with their insert),
     * and a little room for what runs in the background meanwhile.
     */
    private static final double MAX_PER_MESSAGE = 8.5;
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    static final AtomicLong REQUESTS = new AtomicLong();

    @Test
    void aTextMessageInAnExistingConversationTakesAtMostEightRoundTrips() throws Exception {
        AuthToken alice = newUser();
        AuthToken bob = newUser();
        RelayClient aliceClient = client(alice);
        aliceClient.sendText(bob.userId(), "the conversation's first").block(TIMEOUT);
        // The connection's presence change (one query per window) is behind us.
        Thread.sleep(1000);
        int n = 20;
        long before = REQUESTS.get();
        Flux.range(0, n).concatMap(i -> aliceClient.sendText(bob.userId(), "m" + i)).blockLast(TIMEOUT);
        double perMessage = (REQUESTS.get() - before) / (double) n;
        System.out.printf("A text message: %.1f requests to the database driver%n", perMessage);
        assertThat(perMessage).isLessThanOrEqualTo(MAX_PER_MESSAGE);
    }

    /**
     * Messages sent at once share their lookups and transactions: a node under load pays the round trips once per
     * batch, not per message (RequestBatcher). Each message still arrives once, in its own conversation.
     */
    @Test
    void messagesSentAtOnceShareTheirRoundTrips() throws Exception {
        int pairs = 8;
        int each = 12;
        List<AuthToken> senders = new ArrayList<>();
        List<AuthToken> recipients = new ArrayList<>();
        List<RelayClient> clients = new ArrayList<>();
        for (int p = 0; p < pairs; p++) {
            senders.add(newUser());
            recipients.add(newUser());
            clients.add(client(senders.get(p)));
            clients.get(p).sendText(recipients.get(p).userId(), "first").block(TIMEOUT);
        }
        Thread.sleep(1000);
        long before = REQUESTS.get();
        List<ChatMessage> sent = Flux.range(0, pairs * each)
                .flatMap(i -> clients.get(i % pairs).sendText(recipients.get(i % pairs).userId(), "m" + i),
                        pairs * each)
                .collectList().block(TIMEOUT);
        double perMessage = (REQUESTS.get() - before) / (double) (pairs * each);
        System.out.printf("%d text messages at once: %.2f requests to the database driver each%n", pairs * each,
                perMessage);
        assertThat(sent).hasSize(pairs * each);
        assertThat(sent).extracting(ChatMessage::id).doesNotHaveDuplicates();
        assertThat(perMessage).as("requests per message").isLessThan(4);
        for (int p = 0; p < pairs; p++) {
            int pair = p;
            List<String> history = clients.get(p).history(recipients.get(p).userId(), null, 200)
                    .map(ChatMessage::text).collectList().block(TIMEOUT);
            assertThat(history).containsExactlyInAnyOrderElementsOf(Stream.concat(Stream.of("first"),
                    IntStream.range(0, pairs * each).filter(i -> i % pairs == pair).mapToObj(i -> "m" + i)).toList());
        }
    }

    /**
     * Event streams opened at once (a mass reconnect) share the queries each makes as it opens: where its log starts
     * and ends, whose presence it follows. Only the replay of each log is a query of its own.
     */
    @Test
    void eventStreamsOpenedAtOnceShareTheirQueries() throws Exception {
        int pairs = 20;
        List<RelayClient> clients = new ArrayList<>();
        for (int p = 0; p < pairs; p++) {
            AuthToken a = newUser();
            AuthToken b = newUser();
            RelayClient ca = client(a);
            ca.sendText(b.userId(), "hello").block(TIMEOUT);
            clients.add(ca);
            RelayClient cb = client(b);
            cb.history(a.userId(), null, 1).blockLast(TIMEOUT);
            clients.add(cb);
        }
        Thread.sleep(1000);
        long before = REQUESTS.get();
        List<Event> first = Flux.fromIterable(clients).flatMap(c -> c.events(0L).take(1), clients.size())
                .collectList().block(TIMEOUT);
        double perStream = (REQUESTS.get() - before) / (double) clients.size();
        System.out.printf("%d event streams opened at once: %.2f requests to the database driver each%n",
                clients.size(), perStream);
        assertThat(first).hasSize(clients.size()).allMatch(e -> e.type() == Event.Type.MESSAGE);
        // One each would be the log's replay alone; three each before (range, peers, replay).
        assertThat(perStream).as("requests per stream").isLessThan(2.0);
    }

    @TestConfiguration
    static class Counting {
        @Bean
        static BeanPostProcessor countingConnections() {
            return new BeanPostProcessor() {
                @Override
                public Object postProcessAfterInitialization(Object bean, String name) {
                    return bean instanceof ConnectionPool pool ? new CountingFactory(pool) : bean;
                }
            };
        }
    }

    /** Counts what reaches the driver: each statement executed, each begin, commit and rollback. */
    record CountingFactory(ConnectionFactory delegate) implements ConnectionFactory {
        private static final Set<String> COUNTED = Set.of("beginTransaction", "commitTransaction",
                "rollbackTransaction");

        @Override
        public Publisher<? extends Connection> create() {
            return Mono.from(delegate.create()).map(c -> (Connection) Proxy.newProxyInstance(
                    getClass().getClassLoader(), new Class<?>[]{Connection.class}, (p, m, args) -> {
                        Object result = invoke(m, c, args);
                        if (m.getName().equals("createStatement")) {
                            Statement s = (Statement) result;
                            return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{Statement.class},
                                    (sp, sm, sargs) -> {
                                        Object r = invoke(sm, s, sargs);
                                        if (sm.getName().equals("execute")) {
                                            REQUESTS.incrementAndGet();
                                        }
                                        return r == s ? sp : r;
                                    });
                        }
                        if (COUNTED.contains(m.getName())) {
                            REQUESTS.incrementAndGet();
                        }
                        return result;
                    }));
        }

        @Override
        public ConnectionFactoryMetadata getMetadata() {
            return delegate.getMetadata();
        }

        private static Object invoke(Method m, Object target, Object[] args) throws Throwable {
            try {
                return m.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }
}
