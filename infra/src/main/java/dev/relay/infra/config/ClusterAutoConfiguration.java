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
    EventBus eventBus(@Value("${relay.cluster.name:relay}") String cluster, ReactiveStringRedisTemplate redis,
                      RedisSubscriptions listeners,
                      ObjectMapper json) {
        return new RedisEventBus(prefix(cluster), redis, listeners, json);
    }

    @Bean
    RateLimits rateLimits(@Value("${relay.cluster.name:relay}") String cluster, ReactiveStringRedisTemplate redis) {
        return new RedisRateLimits(prefix(cluster), redis);
    }

    @Bean
    PresenceStore presenceStore(@Value("${relay.cluster.name:relay}") String cluster, NodeBus nodes,
                                ReactiveStringRedisTemplate redis) {
        return new RedisPresence(prefix(cluster), nodes.nodeId(), redis);
    }

    /** The node's id: {@code relay.cluster.node-id}, or a new one at every start (a restarted node is a new one). */
    @Bean
    NodeBus nodeBus(@Value("${relay.cluster.name:relay}") String cluster,
                    @Value("${relay.cluster.node-id:}") String nodeId, ReactiveStringRedisTemplate redis,
                    RedisSubscriptions listeners, ObjectMapper json) {
        String id = nodeId.isBlank() ? UUID.randomUUID().toString() : nodeId;
        return new RedisNodeBus(prefix(cluster), id, redis, listeners, json);
    }

    /**
     * Every Redis key and channel of a cluster starts with {@code relay:<relay.cluster.name>:}, so that clusters (a
     * staging and a production one, or test runs) can share a Redis without hearing or reaping each other.
     */
    private static String prefix(String cluster) {
        if (!cluster.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("relay.cluster.name must be 1 to 64 letters, digits, '.', '_' or"
                    + " '-', not \"" + cluster + "\"");
        }
        return "relay:" + cluster + ":";
    }
}
