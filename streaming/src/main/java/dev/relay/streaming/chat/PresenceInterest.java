package dev.relay.streaming.chat;

import dev.relay.api.wire.UserInfo;
import dev.relay.streaming.port.EventBus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Which of this node's event streams want whose presence: an index from a user's id to the streams interested in
 * them, so a batch of changes reaches only those (each change costs its interested streams, not every stream).
 * A stream is interested in its user's conversation peers (loaded when it opens, and any peer of a message passing
 * through it later) and in the users its connection watches ({@code presence.watch}: a set per connection, which
 * each call replaces, and which applies to every event stream of that connection, opened before or after).
 * <p>
 * Watch sets with the same ids are one {@link WatchSet}, shared by their connections and indexed once: clients that
 * list the same people (the first 500 of {@code users.list}, say) cost a reference each, not 500 index entries each
 * (measured: 90 KB per connection watching 500 users without sharing). One lock guards it all; nothing slow runs
 * under it (deliveries are handed out after it is released).
 */
public final class PresenceInterest {

    /** Users one {@code presence.watch} may name. */
    public static final int MAX_WATCH = 500;
    /** Conversation peers a stream follows: the most recent ones loaded at open, plus those of later messages. */
    public static final int MAX_PEERS = 2000;
    /** How many peers a stream loads when it opens (most recent conversations first). */
    public static final int LOADED_PEERS = 1000;
    /** Batches a stream keeps while its peers load; a load slower than that many batches loses the rest. */
    private static final int LOAD_BUFFER = 1000;

    private static final Logger log = LoggerFactory.getLogger(PresenceInterest.class);

    private final Object lock = new Object();
    // All guarded by lock.
    private final Map<String, Set<Listener>> byPeer = new HashMap<>();
    /** Per watched user: the one instance of its id, and the watch sets that name it. */
    private final Map<String, Watched> byWatch = new HashMap<>();
    private final Map<List<String>, WatchSet> watchSets = new HashMap<>();
    private final Map<Object, Connection> connections = new HashMap<>();
    /** Streams whose peers are being read: they keep the batches that arrive meanwhile (a reference each). */
    private final Set<Listener> loading = new HashSet<>();

    /** One event stream: {@code deliver} gets each change of a user it is interested in. */
    public final class Listener {
        private final Object connection;
        private final String owner;
        private final Consumer<UserInfo> deliver;
        private final Set<String> peers = new HashSet<>();
        private List<List<UserInfo>> whileLoading;
        private boolean closed;

        private Listener(Object connection, String owner, Consumer<UserInfo> deliver) {
            this.connection = connection;
            this.owner = owner;
            this.deliver = deliver;
        }
    }

    /** A connection's event streams and what it watches. */
    private static final class Connection {
        final Set<Listener> listeners = new HashSet<>();
        WatchSet watch;
    }

    /** A set of watched ids (sorted, each the one instance of its id) and the streams of connections watching it. */
    private static final class WatchSet {
        final List<String> ids;
        final Set<Listener> listeners = new HashSet<>();
        int connections;

        WatchSet(List<String> ids) {
            this.ids = ids;
        }
    }

    private record Watched(String id, Set<WatchSet> sets) {
    }

    /**
     * Registers an event stream of {@code owner} on {@code connection} (any object that identifies the connection,
     * or null: no watch applies); it follows what the connection watches, and its peers once added.
     */
    public Listener open(Object connection, String owner, Consumer<UserInfo> deliver) {
        return open(connection, owner, deliver, false);
    }

    /**
     * As {@link #open(Object, String, Consumer)}; with {@code loadsPeers}, the stream's peers are being read and
     * come with {@link #peersLoaded}, which also delivers their changes that arrived meanwhile: nothing falls
     * between the stream's opening and its peers' index entries.
     */
    public Listener open(Object connection, String owner, Consumer<UserInfo> deliver, boolean loadsPeers) {
        Listener listener = new Listener(connection, owner, deliver);
        synchronized (lock) {
            if (loadsPeers) {
                listener.whileLoading = new ArrayList<>();
                loading.add(listener);
            }
            if (connection != null) {
                Connection c = connections.computeIfAbsent(connection, k -> new Connection());
                c.listeners.add(listener);
                if (c.watch != null) {
                    c.watch.listeners.add(listener);
                }
            }
        }
        return listener;
    }

    /** The stream's peers were read (empty if that failed): indexed, and told what changed while they loaded. */
    public void peersLoaded(Listener listener, Collection<String> userIds) {
        List<UserInfo> missed = new ArrayList<>();
        synchronized (lock) {
            addPeers(listener, userIds);
            loading.remove(listener);
            List<List<UserInfo>> kept = listener.whileLoading;
            listener.whileLoading = null;
            if (kept == null || listener.closed) {
                return;
            }
            Connection c = listener.connection == null ? null : connections.get(listener.connection);
            List<String> watched = c == null || c.watch == null ? List.of() : c.watch.ids;
            for (List<UserInfo> batch : kept) {
                for (UserInfo user : batch) {
                    // Watched ones were delivered already (ids are sorted: a binary search).
                    if (listener.peers.contains(user.id()) && Collections.binarySearch(watched, user.id()) < 0) {
                        missed.add(user);
                    }
                }
            }
        }
        missed.forEach(listener.deliver);
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
                    byPeer.computeIfAbsent(user, k -> new HashSet<>()).add(listener);
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
            loading.remove(listener);
            listener.whileLoading = null;
            for (String user : listener.peers) {
                byPeer.computeIfPresent(user, (k, set) -> {
                    set.remove(listener);
                    return set.isEmpty() ? null : set;
                });
            }
            Connection c = listener.connection == null ? null : connections.get(listener.connection);
            if (c != null) {
                c.listeners.remove(listener);
                if (c.watch != null) {
                    c.watch.listeners.remove(listener);
                } else if (c.listeners.isEmpty()) {
                    connections.remove(listener.connection);
                }
            }
        }
    }

    /** Replaces what {@code connection}'s event streams watch (now and later) with {@code userIds}. */
    public void watch(Object connection, Collection<String> userIds) {
        List<String> ids = List.copyOf(new TreeSet<>(userIds));
        if (ids.size() > MAX_WATCH) {
            throw new IllegalArgumentException("At most " + MAX_WATCH + " watched users, not " + ids.size());
        }
        synchronized (lock) {
            Connection c = connections.computeIfAbsent(connection, k -> new Connection());
            WatchSet now = ids.isEmpty() ? null : watchSets.get(ids);
            if (now == null && !ids.isEmpty()) {
                now = newWatchSet(ids);
                watchSets.put(now.ids, now);
            }
            if (c.watch != now) {
                unwatch(c);
                c.watch = now;
                if (now != null) {
                    now.connections++;
                    now.listeners.addAll(c.listeners);
                }
            }
            if (c.watch == null && c.listeners.isEmpty()) {
                connections.remove(connection);
            }
        }
    }

    /** The connection closed: its watch set goes. */
    public void forget(Object connection) {
        synchronized (lock) {
            Connection c = connections.remove(connection);
            if (c != null) {
                unwatch(c);
                c.watch = null;
            }
        }
    }

    /** A new watch set of {@code ids}, indexed by each, holding the one instance of each id. */
    private WatchSet newWatchSet(List<String> ids) {
        String[] canonical = new String[ids.size()];
        for (int i = 0; i < canonical.length; i++) {
            canonical[i] = byWatch.computeIfAbsent(ids.get(i), id -> new Watched(id, new HashSet<>())).id();
        }
        WatchSet set = new WatchSet(Arrays.asList(canonical));
        for (String id : canonical) {
            byWatch.get(id).sets().add(set);
        }
        return set;
    }

    /** Takes the connection's streams off its watch set, which goes once no connection has it. */
    private void unwatch(Connection c) {
        WatchSet set = c.watch;
        if (set == null) {
            return;
        }
        set.listeners.removeAll(c.listeners);
        if (--set.connections == 0) {
            watchSets.remove(set.ids);
            for (String id : set.ids) {
                byWatch.computeIfPresent(id, (k, watched) -> {
                    watched.sets().remove(set);
                    return watched.sets().isEmpty() ? null : watched;
                });
            }
        }
    }

    /** Hands each change to the streams interested in its user, once each. */
    public void deliver(List<UserInfo> changes) {
        List<Listener> to = new ArrayList<>();
        List<UserInfo> what = new ArrayList<>();
        synchronized (lock) {
            for (Listener listener : loading) {
                if (listener.whileLoading.size() < LOAD_BUFFER) {
                    listener.whileLoading.add(changes);
                }
            }
            for (UserInfo user : changes) {
                for (Listener listener : interestedIn(user.id())) {
                    to.add(listener);
                    what.add(user);
                }
            }
        }
        for (int i = 0; i < to.size(); i++) {
            to.get(i).deliver.accept(what.get(i));
        }
    }

    /** Under the lock: the streams following {@code userId}, as a peer or watched (a stream may be both). */
    private Set<Listener> interestedIn(String userId) {
        Set<Listener> peers = byPeer.getOrDefault(userId, Set.of());
        Watched watched = byWatch.get(userId);
        if (watched == null) {
            return peers;
        }
        Set<Listener> all = Collections.newSetFromMap(new IdentityHashMap<>());
        all.addAll(peers);
        watched.sets().forEach(set -> all.addAll(set.listeners));
        return all;
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
            return interestedIn(userId).size();
        }
    }

    /** How many users at least one stream here follows. */
    public int indexedUsers() {
        synchronized (lock) {
            Set<String> users = new HashSet<>(byPeer.keySet());
            byWatch.values().stream().filter(w -> w.sets().stream().anyMatch(s -> !s.listeners.isEmpty()))
                    .forEach(w -> users.add(w.id()));
            return users.size();
        }
    }

    /** How many connections here watch someone or have a stream (for tests: none is left behind). */
    public int connections() {
        synchronized (lock) {
            return connections.size();
        }
    }
}
