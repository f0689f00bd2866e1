package dev.relay.api.wire;

/** {@code chat.{user}.delete}: deletes one of the caller's own messages (and its file) for both users. */
public record DeleteMessage(long messageId) {
}
