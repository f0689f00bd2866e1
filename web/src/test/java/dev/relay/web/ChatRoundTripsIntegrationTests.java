package dev.relay.web;

import dev.relay.api.wire.AuthToken;
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
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

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
