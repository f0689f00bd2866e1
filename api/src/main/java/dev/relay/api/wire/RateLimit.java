package dev.relay.api.wire;

/**
 * {@code uploads.{id}.limit}: caps the upload's rate; the server paces its credits (request-n) to keep the average at
 * or under the cap. Null or 0 removes the cap. It applies to the open write channel and to later ones on the same
 * server until changed (it is not persisted across a server restart).
 */
public record RateLimit(Long bytesPerSecond) {
}
