package dev.relay.api.wire;

/** {@code chat.list}: a conversation of the caller with {@code peer}, newest activity first. */
public record Conversation(UserInfo peer, ChatMessage lastMessage, long unread) {
}
