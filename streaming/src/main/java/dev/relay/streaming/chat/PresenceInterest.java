package dev.relay.streaming.chat;

import dev.relay.api.wire.UserInfo;
import dev.relay.streaming.port.EventBus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Which of this node's event streams want whose presence: an index from a user's id to the streams interested in
 * them, so a batch of changes reaches only those (each change costs its interested streams, not every stream).
 * A stream is interested in its user's conversation peers (loaded when it opens, and any peer of a message passing
 * through it later) and in the users its connection watches ({@code presence.watch}: a set per connection, which
 * each call replaces, and which applies to every event stream of that connection, opened before or after).
 * One lock guards it all; nothing slow runs under it (deliveries are handed out after it is released).
 */
public final class PresenceInterest {

    /** Users one {@code presence.watch} may name. */
    public static final int MAX_WATCH = 500;
    /** Conversation peers a stream follows: the most recent ones loaded at open, plus those of later messages. */
    public static final int MAX_PEERS = 2000;
    /** How many peers a stream loads when it opens (most recent conversations first). */
    public static final int LOADED_PEERS = 1000;

    private static final Logger log = LoggerFactory.getLogger(PresenceInterest.class);

    private final Object lock = new Object();
    // All guarded by lock.
    private final Map<String, Set<Listener>> byUser = new HashMap<>();
    private final Map<Object, Set<Listener>> byConnection = new HashMap<>();
    private final Map<Object, Set<String>> watches = new HashMap<>();

    /** One event stream: {@code deliver} gets each change of a user it is interested in. */
    public final class Listener {
        private final Object connection;
        private final String owner;
        private final Consumer<UserInfo> deliver;
        private final Set<String> peers = new HashSet<>();
        private boolean closed;

        private Listener(Object connection, String owner, Consumer<UserInfo> deliver) {
            this.connection = connection;
            this.owner = owner;
            this.deliver = deliver;
        }
    }

    /**
     * Registers an event stream of {@code owner} on {@code connection} (any object that identifies the connection,
     * or null: no watch applies); it is interested in what the connection watches until it has peers as well.
     */
    public Listener open(Object connection, String owner, Consumer<UserInfo> deliver) {
        Listener listener = new Listener(connection, owner, deliver);
        synchronized (lock) {
            if (connection != null) {
                byConnection.computeIfAbsent(connection, k -> new HashSet<>()).add(listener);
                watches.getOrDefault(connection, Set.of()).forEach(user -> index(user, listener));
            }
        }
        return listener;
    }

    /** The stream follows these users too (its conversation peers), up to {@link #MAX_PEERS} in all. */
    public void addPeers(Listener listener, Collection<String> userIds) {
        synchronized (lock) {
            if (listener.closed) {
                return;
            }
            for (String user : userIds) {
                if (listener.peers.size() >= MAX_PEERS) {
                    return;
                }
                if (user != null && !user.equals(listener.owner) && listener.peers.add(user)) {
                    index(user, listener);
                }
            }
        }
    }

    public void addPeer(Listener listener, String userId) {
        addPeers(listener, List.of(userId));
    }

    /** The stream ended. */
    public void close(Listener listener) {
        synchronized (lock) {
            if (listener.closed) {
                return;
            }
            listener.closed = true;
            listener.peers.forEach(user -> unindex(user, listener));
            if (listener.connection != null) {
                watches.getOrDefault(listener.connection, Set.of()).forEach(user -> unindex(user, listener));
                byConnection.computeIfPresent(listener.connection, (k, set) -> {
                    set.remove(listener);
                    return set.isEmpty() ? null : set;
                });
            }
        }
    }

    /** Replaces what {@code connection}'s event streams watch (now and later) with {@code userIds}. */
    public void watch(Object connection, Collection<String> userIds) {
        Set<String> now = new LinkedHashSet<>(userIds);
        if (now.size() > MAX_WATCH) {
            throw new IllegalArgumentException("At most " + MAX_WATCH + " watched users, not " + now.size());
        }
        synchronized (lock) {
            Set<String> before = now.isEmpty() ? watches.remove(connection) : watches.put(connection, now);
            rewatch(connection, before == null ? Set.of() : before, now);
        }
    }

    /** The connection closed: its watch set goes. */
    public void forget(Object connection) {
        synchronized (lock) {
            Set<String> before = watches.remove(connection);
            if (before != null) {
                rewatch(connection, before, Set.of());
            }
        }
    }

    private void rewatch(Object connection, Set<String> before, Set<String> now) {
        for (Listener listener : byConnection.getOrDefault(connection, Set.of())) {
            for (String user : before) {
                if (!now.contains(user) && !listener.peers.contains(user)) {
                    unindex(user, listener);
                }
            }
            now.forEach(user -> index(user, listener));
        }
    }

    /** Hands each change to the streams interested in its user. */
    public void deliver(List<UserInfo> changes) {
        List<Listener> to = new ArrayList<>();
        List<UserInfo> what = new ArrayList<>();
        synchronized (lock) {
            for (UserInfo user : changes) {
                for (Listener listener : byUser.getOrDefault(user.id(), Set.of())) {
                    to.add(listener);
                    what.add(user);
                }
            }
        }
        for (int i = 0; i < to.size(); i++) {
            to.get(i).deliver.accept(what.get(i));
        }
    }

    /** Delivers the bus's presence batches to this node's streams, until disposed. */
    public Disposable follow(EventBus bus) {
        return bus.presence()
                .filter(e -> e.presence() != null)
                .subscribe(e -> deliver(e.presence()),
                        e -> log.error("Presence batches stopped arriving", e));
    }

    /** How many of this node's streams follow {@code userId} (for tests and metrics). */
    public int interested(String userId) {
        synchronized (lock) {
            return byUser.getOrDefault(userId, Set.of()).size();
        }
    }

    /** How many users have at least one interested stream here. */
    public int indexedUsers() {
        synchronized (lock) {
            return byUser.size();
        }
    }

    private void index(String user, Listener listener) {
        byUser.computeIfAbsent(user, k -> new HashSet<>()).add(listener);
    }

    private void unindex(String user, Listener listener) {
        byUser.computeIfPresent(user, (k, set) -> {
            set.remove(listener);
            return set.isEmpty() ? null : set;
        });
    }
}
