package dev.relay.streaming.port;

/**
 * A new durable position: recorded parts, staged tail and the SHA-256 state after {@code partsBytes + tailBytes}.
 */
public record DurablePoint(long partsBytes, long tailBytes, byte[] digestState) {

    public long offset() {
        return partsBytes + tailBytes;
    }
}
