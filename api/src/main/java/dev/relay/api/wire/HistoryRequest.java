package dev.relay.api.wire;

/**
 * {@code chat.{user}.history}: messages older than {@code before} (a message id; absent for the newest), newest
 * first, at most {@code limit} (default 50, at most 200). Message ids only grow, so a cursor stays stable while new
 * messages arrive.
 */
public record HistoryRequest(Long before, Integer limit) {
}
