package dev.relay.infra.cluster;

import dev.relay.streaming.port.PresenceStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link PresenceStore} across nodes in Redis: per user a hash of connection counts by node
 * ({@code relay:<cluster>:presence:user:<id>}), per node the set of its users, and per node a heartbeat key that expires
 * {@link #ALIVE_FOR} after the node's last beat. Each node looks for nodes whose heartbeat expired and drops their
 * counts (one node wins each dead node, the script being atomic): their users who have no connection left anywhere
 * go offline, announced by the node that dropped them. So a killed node's users show offline within
 * {@link #ALIVE_FOR} plus {@link #BEAT}. Every node also keeps its own counts, which answer while Redis does not and
 * are written back when Redis returns.
 */
public final class RedisPresence implements PresenceStore, SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(RedisPresence.class);
    static final Duration BEAT = Duration.ofSeconds(2);
    static final Duration ALIVE_FOR = Duration.ofSeconds(6);
    private final String userKey;
    private final String nodeKey;
    private final String aliveKey;
    private final String nodesKey;

    /** Returns the number of nodes the user had connections on before. */
    private static final RedisScript<Long> CONNECT = RedisScript.of("""
            local before = redis.call('HLEN', KEYS[1])
            if redis.call('HINCRBY', KEYS[1], ARGV[1], 1) == 1 then redis.call('SADD', KEYS[2], ARGV[2]) end
            return before""", Long.class);
    /** Returns the number of nodes the user has connections on after. */
    private static final RedisScript<Long> DISCONNECT = RedisScript.of("""
            if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then
              redis.call('HDEL', KEYS[1], ARGV[1])
              redis.call('SREM', KEYS[2], ARGV[2])
            end
            return redis.call('HLEN', KEYS[1])""", Long.class);
    /** Drops a dead node's counts; returns its users who are now online nowhere. */
    @SuppressWarnings("rawtypes")
    private static final RedisScript<List> REAP = RedisScript.of("""
            local users = redis.call('SMEMBERS', KEYS[1])
            local gone = {}
            for _, u in ipairs(users) do
              local key = ARGV[2] .. u
              redis.call('HDEL', key, ARGV[1])
              if redis.call('HLEN', key) == 0 then table.insert(gone, u) end
            end
            redis.call('DEL', KEYS[1])
            redis.call('SREM', KEYS[2], ARGV[1])
            return gone""", List.class);
    /** Puts this node's counts back after an outage (another node may have dropped them). */
    private static final RedisScript<Long> RESTORE = RedisScript.of("""
            redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
            redis.call('SADD', KEYS[2], ARGV[2])
            return 1""", Long.class);

    private final String nodeId;
    private final ReactiveStringRedisTemplate redis;
    private final Map<String, Integer> local = new ConcurrentHashMap<>();
    private final Sinks.Many<String> lost = Sinks.many().multicast().onBackpressureBuffer();
    private volatile boolean redisAnswered = true;
    private volatile Disposable running;

    /** @param prefix the cluster's prefix of every Redis name ({@code relay:<cluster>:}) */
    public RedisPresence(String prefix, String nodeId, ReactiveStringRedisTemplate redis) {
        this.userKey = prefix + "presence:user:";
        this.nodeKey = prefix + "presence:node:";
        this.aliveKey = prefix + "presence:alive:";
        this.nodesKey = prefix + "presence:nodes";
        this.nodeId = nodeId;
        this.redis = redis;
    }

    @Override
    public Mono<Boolean> connected(String userId) {
        boolean firstHere = local.merge(userId, 1, Integer::sum) == 1;
        return redis.execute(CONNECT, List.of(userKey + userId, nodeKey + nodeId), List.of(nodeId, userId))
                .next()
                .map(before -> before == 0)
                .onErrorResume(e -> Mono.just(firstHere)); // Redis down: this node's view
    }

    @Override
    public Mono<Boolean> disconnected(String userId) {
        boolean lastHere = local.computeIfPresent(userId, (k, n) -> n <= 1 ? null : n - 1) == null;
        return redis.execute(DISCONNECT, List.of(userKey + userId, nodeKey + nodeId), List.of(nodeId, userId))
                .next()
                .map(after -> after == 0)
                .onErrorResume(e -> Mono.just(lastHere));
    }

    @Override
    public Mono<Set<String>> online(Collection<String> userIds) {
        List<String> ids = List.copyOf(userIds);
        return Flux.fromIterable(ids)
                .flatMapSequential(id -> redis.hasKey(userKey + id))
                .collectList()
                .map(exists -> {
                    Set<String> online = new HashSet<>();
                    for (int i = 0; i < ids.size(); i++) {
                        if (Boolean.TRUE.equals(exists.get(i))) {
                            online.add(ids.get(i));
                        }
                    }
                    return online;
                })
                .onErrorResume(e -> {
                    Set<String> here = new HashSet<>(ids);
                    here.retainAll(local.keySet());
                    return Mono.just(here);
                });
    }

    @Override
    public Flux<String> lost() {
        return lost.asFlux();
    }

    /** The heartbeat, the search for dead nodes, and putting this node's counts back after an outage. */
    private Mono<Void> beat() {
        return redis.opsForValue().set(aliveKey + nodeId, "1", ALIVE_FOR)
                .then(redis.opsForSet().add(nodesKey, nodeId))
                .then(Mono.defer(() -> redisAnswered ? Mono.<Void>empty() : restore()))
                .then(Mono.fromRunnable(() -> redisAnswered = true))
                .then(reapDeadNodes())
                .doOnError(e -> redisAnswered = false)
                .onErrorResume(e -> Mono.empty());
    }

    private Mono<Void> restore() {
        log.info("Redis answers again: putting back the presence of this node's {} users", local.size());
        return Flux.fromIterable(new ArrayList<>(local.entrySet()))
                .concatMap(entry -> redis.execute(RESTORE, List.of(userKey + entry.getKey(), nodeKey + nodeId),
                        List.of(nodeId, entry.getKey(), entry.getValue().toString())))
                .then();
    }

    @SuppressWarnings("unchecked")
    private Mono<Void> reapDeadNodes() {
        return redis.opsForSet().members(nodesKey)
                .filter(node -> !node.equals(nodeId))
                .concatMap(node -> redis.hasKey(aliveKey + node)
                        .filter(alive -> !alive)
                        .flatMapMany(dead -> redis.execute(REAP, List.of(nodeKey + node, nodesKey), List.of(node, userKey)))
                        .flatMapIterable(users -> (List<String>) users)
                        .doOnNext(user -> log.debug("User {} went offline with node {}", user, node)))
                .doOnNext(lost::tryEmitNext)
                .then();
    }

    @Override
    public void start() {
        running = Disposables.composite(Flux.interval(Duration.ZERO, BEAT)
                .onBackpressureDrop()
                .concatMap(tick -> beat(), 0)
                .subscribe());
    }

    @Override
    public void stop() {
        Disposable d = running;
        if (d != null) {
            d.dispose();
        }
        running = null;
        // A node that stops on purpose goes at once: its users' other connections are elsewhere or nowhere.
        redis.delete(aliveKey + nodeId).onErrorResume(e -> Mono.empty()).block(Duration.ofSeconds(2));
    }

    @Override
    public boolean isRunning() {
        return running != null;
    }
}
