package dev.relay.api.wire;

/** {@code users.search}: users whose username or display name contains {@code query} (case-insensitive). */
public record UserQuery(String query, Integer limit) {
}
