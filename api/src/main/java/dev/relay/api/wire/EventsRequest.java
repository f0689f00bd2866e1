package dev.relay.api.wire;

/**
 * {@code events}: the live stream. With {@code since} (the id of the last event the client saw), the events after
 * it are replayed first, so nothing is lost across a dropped connection.
 */
public record EventsRequest(Long since) {
}
