package dev.relay.streaming;

/** Who asks: the authenticated user, and whether they are an administrator (who may see everyone's files). */
public record Viewer(String userId, boolean admin) {
}
