package dev.relay.streaming.port;

import reactor.core.publisher.Mono;

/**
 * Token buckets by key (a user's messages, login attempts on an account), shared by every node of the service: in
 * memory on one node, in Redis in a cluster.
 */
public interface RateLimits {

    /**
     * Takes a token from bucket {@code key}, which holds up to {@code limit.burst()} tokens and gains
     * {@code limit.perMinute()} a minute. Emits 0 if it got one, otherwise how many milliseconds until one is there.
     */
    Mono<Long> take(String key, Limit limit);

    /** {@code perMinute} may be a fraction: 20 an hour is {@code perHour(20, burst)}. */
    record Limit(double perMinute, int burst) {

        public Limit {
            if (!(perMinute > 0) || burst <= 0) {
                throw new IllegalArgumentException("A rate limit needs a positive rate and burst");
            }
        }

        public static Limit perHour(int perHour, int burst) {
            return new Limit(perHour / 60.0, burst);
        }
    }
}
