package dev.relay.infra.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.streaming.port.EventBus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import reactor.core.publisher.Flux;

/**
 * {@link EventBus} across nodes on Redis pub/sub: a channel per user, subscribed on a node only while that user has
 * an event stream there (so an event costs one message to the nodes that need it, not to all), one channel for
 * events to everyone, one for connection signals (disconnect a user) and one for presence batches, which each node
 * subscribes once (its streams' per-user subscriptions do not, so a batch is read once per node, not per stream).
 * Pub/sub is at most once and keeps nothing while a node is cut off: the database event log stays the source of
 * truth, and each event stream fills gaps from it ({@code EventFeed}, which also checks its position periodically in
 * a cluster, for a lost last event).
 */
public final class RedisEventBus implements EventBus {

    private static final Logger log = LoggerFactory.getLogger(RedisEventBus.class);
    private final String userPrefix;
    private final ChannelTopic everyone;
    private final ChannelTopic signals;
    private final ChannelTopic presence;
    private static final int SUBSCRIBER_BUFFER = 4096;

    private final ReactiveStringRedisTemplate redis;
    private final RedisSubscriptions listeners;
    private final ObjectMapper json;

    /** @param prefix the cluster's prefix of every Redis name ({@code relay:<cluster>:}) */
    public RedisEventBus(String prefix, ReactiveStringRedisTemplate redis, RedisSubscriptions listeners,
                         ObjectMapper json) {
        this.listeners = listeners;
        this.userPrefix = prefix + "events:user:";
        this.everyone = ChannelTopic.of(prefix + "events:everyone");
        this.signals = ChannelTopic.of(prefix + "events:signals");
        this.presence = ChannelTopic.of(prefix + "events:presence");
        this.redis = redis;
        this.json = json;
    }

    @Override
    public void publish(Envelope envelope) {
        String channel = envelope.presence() != null ? presence.getTopic()
                : envelope.disconnect() ? signals.getTopic()
                : envelope.userId() == null ? everyone.getTopic() : userPrefix + envelope.userId();
        String body;
        try {
            body = json.writeValueAsString(envelope);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("An event could not be written as JSON", e);
        }
        // Best effort, as the bus's contract says: subscribers catch up from the event log.
        redis.convertAndSend(channel, body)
                .subscribe(null, e -> log.debug("An event was not published ({}); clients catch up from the log",
                        e.toString()));
    }

    @Override
    public Flux<Long> resubscribed() {
        return listeners.reconnected();
    }

    @Override
    public Flux<Envelope> subscribe() {
        return receive(signals, everyone);
    }

    @Override
    public Flux<Envelope> presence() {
        return receive(presence);
    }

    @Override
    public Flux<Envelope> subscribe(String userId) {
        return receive(ChannelTopic.of(userPrefix + userId), everyone);
    }

    private Flux<Envelope> receive(ChannelTopic... topics) {
        return listeners.receive(topics)
                .map(this::read)
                .onBackpressureBuffer(SUBSCRIBER_BUFFER);
    }

    private Envelope read(String body) {
        try {
            return json.readValue(body, Envelope.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("An event from Redis could not be read", e);
        }
    }
}
