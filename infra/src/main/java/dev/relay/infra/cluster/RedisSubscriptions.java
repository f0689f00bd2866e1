package dev.relay.infra.cluster;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's pub/sub connection to Redis, opened on first use rather than at start-up, and opened again after it
 * failed: a node starts and serves while Redis is down (nothing durable depends on it), and its subscriptions come
 * back with Redis. Messages published meanwhile are lost, as pub/sub's are; the users of this class make up for that
 * from the database.
 */
public final class RedisSubscriptions implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(RedisSubscriptions.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(500);
    private static final Duration MAX_RETRY = Duration.ofSeconds(5);

    private final ReactiveRedisConnectionFactory factory;
    private ReactiveRedisMessageListenerContainer container;

    public RedisSubscriptions(ReactiveRedisConnectionFactory factory) {
        this.factory = factory;
    }

    /**
     * A signal each time a connection to Redis is established: after a lost one, Lettuce subscribes the channels
     * again on its own, and whatever was published meanwhile is lost (a signal for a first connection costs a
     * position check, nothing more).
     */
    public Flux<Long> reconnected() {
        if (!(factory instanceof LettuceConnectionFactory lettuce) || lettuce.getClientResources() == null) {
            return Flux.never();
        }
        AtomicLong connections = new AtomicLong();
        return lettuce.getClientResources().eventBus().get()
                .filter(event -> event instanceof ConnectionActivatedEvent)
                .map(event -> connections.incrementAndGet());
    }

    /** The messages of {@code topics} from now on, subscribing again (with backoff) whenever the connection fails. */
    public Flux<String> receive(ChannelTopic... topics) {
        // Opening the connection blocks: never on an event loop.
        return Mono.fromCallable(this::container)
                .subscribeOn(Schedulers.boundedElastic())
                .flatMapMany(c -> c.receive(topics).doOnError(e -> discard(c)))
                .map(message -> message.getMessage())
                .retryWhen(Retry.backoff(Long.MAX_VALUE, FIRST_RETRY).maxBackoff(MAX_RETRY)
                        .doBeforeRetry(s -> log.debug("Redis subscription failed ({}); retrying",
                                s.failure().toString())));
    }

    private synchronized ReactiveRedisMessageListenerContainer container() {
        if (container == null) {
            container = new ReactiveRedisMessageListenerContainer(factory);
        }
        return container;
    }

    private synchronized void discard(ReactiveRedisMessageListenerContainer failed) {
        if (container == failed) {
            container = null;
            failed.destroyLater().subscribe(null, e -> { });
        }
    }

    @Override
    public synchronized void destroy() {
        if (container != null) {
            container.destroy();
            container = null;
        }
    }
}
