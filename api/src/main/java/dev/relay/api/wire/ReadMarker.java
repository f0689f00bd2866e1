package dev.relay.api.wire;

/**
 * A read marker: {@code reader} has read the conversation with {@code peer} up to message {@code messageId}.
 * Sent to {@code chat.{user}.read} (only {@code messageId} is needed) and delivered as a READ event to both users.
 *
 * @param unread the reader's unread count in this conversation after the marker
 */
public record ReadMarker(String reader, String peer, long messageId, long unread) {
}
