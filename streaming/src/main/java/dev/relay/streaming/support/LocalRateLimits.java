package dev.relay.streaming.support;

import dev.relay.streaming.port.RateLimits;
import reactor.core.publisher.Mono;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/**
 * {@link RateLimits} of one node, in memory. Buckets that have filled up again are dropped now and then, so keys
 * seen once (a login to a mistyped name) do not pile up.
 */
public final class LocalRateLimits implements RateLimits {

    private static final int SWEEP_EVERY = 10_000;

    private final LongSupplier nanoTime;
    private final ConcurrentMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    private int takes;

    public LocalRateLimits() {
        this(System::nanoTime);
    }

    public LocalRateLimits(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    @Override
    public Mono<Long> take(String key, Limit limit) {
        return Mono.fromSupplier(() -> takeNow(key, limit));
    }

    /** As {@link #take}, at once. */
    public long takeNow(String key, Limit limit) {
        long now = nanoTime.getAsLong();
        if (++takes % SWEEP_EVERY == 0) {
            buckets.values().removeIf(b -> b.full(now));
        }
        return buckets.computeIfAbsent(key, k -> new Bucket(limit, now)).take(now);
    }

    private static final class Bucket {
        private final double capacity;
        private final double perNano;
        private double tokens;
        private long last;

        Bucket(Limit limit, long now) {
            this.capacity = limit.burst();
            this.perNano = limit.perMinute() / 60e9;
            this.tokens = capacity;
            this.last = now;
        }

        synchronized long take(long now) {
            tokens = Math.min(capacity, tokens + (now - last) * perNano);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - tokens) / perNano / 1e6);
        }

        synchronized boolean full(long now) {
            return tokens + (now - last) * perNano >= capacity;
        }
    }
}
