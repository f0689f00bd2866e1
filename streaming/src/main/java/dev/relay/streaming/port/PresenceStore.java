package dev.relay.streaming.port;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.Collection;
import java.util.Set;

/**
 * Who is online: a user is while any of their connections is open, on any node. The store counts connections per
 * node; a node that stops answering (killed, cut off) has its users' connections dropped after a bounded time.
 */
public interface PresenceStore {

    /** A connection of the user opened on this node; true if the user was offline everywhere until now. */
    Mono<Boolean> connected(String userId);

    /** A connection of the user on this node closed; true if the user is now offline everywhere. */
    Mono<Boolean> disconnected(String userId);

    /** Which of {@code userIds} are online. */
    Mono<Set<String>> online(Collection<String> userIds);

    /** Users who went offline everywhere because another node holding their connections stopped answering. */
    Flux<String> lost();
}
