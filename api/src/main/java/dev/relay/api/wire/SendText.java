package dev.relay.api.wire;

/** {@code chat.{user}.send}: a text message (trimmed; never empty; at most the configured length). */
public record SendText(String text) {
}
