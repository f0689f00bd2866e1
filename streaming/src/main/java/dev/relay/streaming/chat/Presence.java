package dev.relay.streaming.chat;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Who is online on this node: a count of open connections per user. A user goes online with the first connection
 * and offline with the last. (Across nodes, a shared store behind the same calls would sum the counts.)
 */
public final class Presence {

    private final ConcurrentMap<String, Integer> connections = new ConcurrentHashMap<>();

    /** Counts a new connection; true if the user just came online. */
    boolean connected(String userId) {
        return connections.merge(userId, 1, Integer::sum) == 1;
    }

    /** Counts a closed connection; true if the user just went offline. */
    boolean disconnected(String userId) {
        return connections.computeIfPresent(userId, (k, n) -> n <= 1 ? null : n - 1) == null;
    }

    public boolean isOnline(String userId) {
        return connections.containsKey(userId);
    }
}
