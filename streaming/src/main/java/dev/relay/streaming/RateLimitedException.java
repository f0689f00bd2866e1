package dev.relay.streaming;

import dev.relay.api.ErrorCode;

/** {@link ErrorCode#RATE_LIMITED} with when a retry can succeed: HTTP answers carry it as {@code Retry-After}. */
public final class RateLimitedException extends TransferException {

    private final long retryAfterSeconds;

    private RateLimitedException(String message, long retryAfterSeconds) {
        super(ErrorCode.RATE_LIMITED, message);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /**
     * @param what      what was too much, e.g. "Too many login attempts for this account"
     * @param waitMillis how long until the limit admits another attempt
     */
    public static RateLimitedException of(String what, long waitMillis) {
        long seconds = Math.max(1, (waitMillis + 999) / 1000);
        return new RateLimitedException(what + "; try again in " + seconds + " s.", seconds);
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
