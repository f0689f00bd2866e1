package dev.relay.infra.cluster;

import dev.relay.streaming.port.RateLimits;
import dev.relay.streaming.support.LocalRateLimits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.List;

/**
 * {@link RateLimits} shared by the nodes: each bucket is a Redis hash updated by one script on Redis's clock, and
 * expires once it would be full again. While Redis does not answer, each node limits on its own (the same limits,
 * per node): a limit loosened for a while, never a service refusing everyone. Every request takes a token, so a
 * Redis that does not answer must not slow requests down: a call waits {@link #CALL_TIMEOUT} at most, and after a
 * failure the node counts alone for {@link #LOCAL_AFTER_FAILURE} before it asks Redis again.
 */
public final class RedisRateLimits implements RateLimits {

    private static final Logger log = LoggerFactory.getLogger(RedisRateLimits.class);
    private final String prefix;
    private static final RedisScript<Long> TAKE = RedisScript.of("""
            local capacity = tonumber(ARGV[1])
            local per_ms = tonumber(ARGV[2])
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local b = redis.call('HMGET', KEYS[1], 'tokens', 'last')
            local tokens = tonumber(b[1]) or capacity
            local last = tonumber(b[2]) or now
            tokens = math.min(capacity, tokens + math.max(0, now - last) * per_ms)
            local wait = 0
            if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / per_ms) end
            redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'last', tostring(now))
            redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / per_ms) + 1000)
            return wait""", Long.class);

    static final Duration CALL_TIMEOUT = Duration.ofMillis(250);
    static final Duration LOCAL_AFTER_FAILURE = Duration.ofSeconds(5);

    private final ReactiveStringRedisTemplate redis;
    private final LocalRateLimits fallback = new LocalRateLimits();
    /** {@link System#nanoTime} until which buckets are counted on this node only. */
    private volatile long localUntil = System.nanoTime();

    /** @param prefix the cluster's prefix of every Redis name ({@code relay:<cluster>:}) */
    public RedisRateLimits(String prefix, ReactiveStringRedisTemplate redis) {
        this.prefix = prefix + "rate:";
        this.redis = redis;
    }

    @Override
    public Mono<Long> take(String key, Limit limit) {
        if (System.nanoTime() - localUntil < 0) {
            return fallback.take(key, limit);
        }
        double perMs = limit.perMinute() / 60_000.0;
        return redis.execute(TAKE, List.of(prefix + key), List.of(Integer.toString(limit.burst()),
                        Double.toString(perMs)))
                .next()
                .timeout(CALL_TIMEOUT)
                .onErrorResume(e -> {
                    localUntil = System.nanoTime() + LOCAL_AFTER_FAILURE.toNanos();
                    log.debug("Rate limits counted on this node only for {}: {}", LOCAL_AFTER_FAILURE, e.toString());
                    return fallback.take(key, limit);
                });
    }
}
