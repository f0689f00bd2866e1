package dev.relay.streaming.chat;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/** A token bucket per user: {@code burst} at once, then {@code perMinute} on average. */
final class RateLimiter {

    private final double capacity;
    private final double perNano;
    private final LongSupplier nanoTime;
    private final ConcurrentMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    RateLimiter(int perMinute, int burst, LongSupplier nanoTime) {
        this.capacity = Math.max(1, burst);
        this.perNano = perMinute / 60e9;
        this.nanoTime = nanoTime;
    }

    /** Takes one token for {@code userId}; false if the bucket is empty. */
    boolean tryAcquire(String userId) {
        return buckets.computeIfAbsent(userId, k -> new Bucket(capacity, nanoTime.getAsLong())).take();
    }

    private final class Bucket {
        private double tokens;
        private long last;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.last = now;
        }

        synchronized boolean take() {
            long now = nanoTime.getAsLong();
            tokens = Math.min(capacity, tokens + (now - last) * perNano);
            last = now;
            if (tokens < 1) {
                return false;
            }
            tokens -= 1;
            return true;
        }
    }
}
