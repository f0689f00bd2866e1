package dev.relay.streaming.chat;

import dev.relay.streaming.port.PresenceStore;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Who is online when the service is one node: a count of open connections per user. A user goes online with the
 * first connection and offline with the last. (A cluster shares the counts in Redis: {@code RedisPresence}.)
 */
public final class Presence implements PresenceStore {

    private final ConcurrentMap<String, Integer> connections = new ConcurrentHashMap<>();

    @Override
    public Mono<Boolean> connected(String userId) {
        return Mono.just(connections.merge(userId, 1, Integer::sum) == 1);
    }

    @Override
    public Mono<Boolean> disconnected(String userId) {
        return Mono.just(connections.computeIfPresent(userId, (k, n) -> n <= 1 ? null : n - 1) == null);
    }

    @Override
    public Mono<Set<String>> online(Collection<String> userIds) {
        Set<String> online = new HashSet<>();
        for (String id : userIds) {
            if (connections.containsKey(id)) {
                online.add(id);
            }
        }
        return Mono.just(online);
    }

    @Override
    public Flux<String> lost() {
        return Flux.never();
    }
}
