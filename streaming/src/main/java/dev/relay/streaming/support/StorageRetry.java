package dev.relay.streaming.support;

import dev.relay.streaming.port.StorageUnavailableException;
import reactor.util.retry.Retry;

import java.time.Duration;

/** Retries transient storage failures with backoff until a deadline, then lets the last failure through. */
public final class StorageRetry {

    private StorageRetry() {
    }

    public static Retry until(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        return Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(100))
                .maxBackoff(Duration.ofSeconds(5))
                .jitter(0.3)
                .filter(e -> e instanceof StorageUnavailableException && System.nanoTime() < deadline)
                .onRetryExhaustedThrow((spec, signal) -> signal.failure());
    }
}
