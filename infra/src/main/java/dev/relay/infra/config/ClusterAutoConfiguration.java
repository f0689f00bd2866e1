package dev.relay.infra.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.infra.cluster.RedisEventBus;
import dev.relay.infra.cluster.RedisNodeBus;
import dev.relay.infra.cluster.RedisPresence;
import dev.relay.infra.cluster.RedisRateLimits;
import dev.relay.infra.cluster.RedisSubscriptions;
import dev.relay.streaming.port.EventBus;
import dev.relay.streaming.port.NodeBus;
import dev.relay.streaming.port.PresenceStore;
import dev.relay.streaming.port.RateLimits;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.data.redis.RedisReactiveAutoConfiguration;
import org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;


import java.util.UUID;

/**
 * Several nodes (relay.cluster.enabled=true): user events and commands to the node that holds an upload's channel
 * go through Redis pub/sub ({@code spring.data.redis.*}), and presence and rate limits are counted in Redis. Off, the node is alone:
 * the in-process event bus, no node bus and presence in memory ({@link R2dbcRepositoriesAutoConfiguration}), and
 * Redis is never contacted.
 */
@AutoConfiguration(after = {RedisReactiveAutoConfiguration.class, JacksonAutoConfiguration.class},
        before = R2dbcRepositoriesAutoConfiguration.class)
@ConditionalOnProperty(name = "relay.cluster.enabled", havingValue = "true")
public class ClusterAutoConfiguration {

    @Bean
    RedisSubscriptions relayRedisSubscriptions(ReactiveRedisConnectionFactory redis) {
        return new RedisSubscriptions(redis);
    }

    @Bean
    EventBus eventBus(ReactiveStringRedisTemplate redis, RedisSubscriptions listeners,
                      ObjectMapper json) {
        return new RedisEventBus(redis, listeners, json);
    }

    @Bean
    RateLimits rateLimits(ReactiveStringRedisTemplate redis) {
        return new RedisRateLimits(redis);
    }

    @Bean
    PresenceStore presenceStore(NodeBus nodes, ReactiveStringRedisTemplate redis) {
        return new RedisPresence(nodes.nodeId(), redis);
    }

    /** The node's id: {@code relay.cluster.node-id}, or a new one at every start (a restarted node is a new one). */
    @Bean
    NodeBus nodeBus(@Value("${relay.cluster.node-id:}") String nodeId, ReactiveStringRedisTemplate redis,
                    RedisSubscriptions listeners, ObjectMapper json) {
        String id = nodeId.isBlank() ? UUID.randomUUID().toString() : nodeId;
        return new RedisNodeBus(id, redis, listeners, json);
    }
}
