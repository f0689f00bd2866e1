package dev.relay.web.faults;

import dev.relay.client.RelayClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A well-behaved user's latency, measured unloaded and while an attack runs, for the hostile-client cases: the
 * service must keep answering others within twice their unloaded latency (or {@link #SLACK} above it, for
 * operations of a few milliseconds, whose doubling is scheduling noise on a shared two-core machine).
 */
final class Bystander {

    static final Duration SLACK = Duration.ofMillis(20);
    private static final int SAMPLES = 15;

    private final Callable<?> operation;
    private final String name;
    private final long unloaded;
    private long loaded;

    private Bystander(String name, Callable<?> operation) throws Exception {
        this.name = name;
        this.operation = operation;
        operation.call(); // warm: connection, JIT
        this.unloaded = median(operation, SAMPLES);
    }

    /** A bystander whose operation is users.me on a connection of their own. */
    static Bystander rsocket(RelayClient client) throws Exception {
        return new Bystander("users.me", () -> client.me().block(BadInputTarget.TIMEOUT));
    }

    static Bystander of(String name, Callable<?> operation) throws Exception {
        return new Bystander(name, operation);
    }

    /** Runs {@code attack} on another thread and measures this user meanwhile; returns the attack's result. */
    <T> T during(Callable<T> attack) throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<T> running = pool.submit(attack);
            Thread.sleep(50); // let the attack start
            loaded = median(operation, SAMPLES);
            return running.get();
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Like {@link #during}, but measures once the attack's first {@code allowance} attempts are done, and the attack
     * runs on until the measurement is over ({@code measured}): an attacker may spend its allowance (a burst of logins
     * costs what as many users' logins do, and on two cores the bystander's own shares them); what the limits promise
     * is that the attempts past it cost others nothing.
     */
    <T> T pastAllowance(int allowance, AtomicInteger attempts, AtomicBoolean measured, Callable<T> attack)
            throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<T> running = pool.submit(attack);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (attempts.get() < allowance && !running.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            loaded = median(operation, SAMPLES);
            measured.set(true);
            return running.get();
        } finally {
            pool.shutdownNow();
        }
    }

    boolean withinBound() {
        return loaded <= Math.max(2 * unloaded, unloaded + SLACK.toNanos());
    }

    String figures() {
        return String.format(Locale.ROOT, "a bystander's %s: median %.1f ms during, %.1f ms unloaded (x%.1f)", name,
                loaded / 1e6, unloaded / 1e6, unloaded == 0 ? 0 : (double) loaded / unloaded);
    }

    private static long median(Callable<?> operation, int samples) throws Exception {
        List<Long> nanos = new ArrayList<>();
        for (int i = 0; i < samples; i++) {
            long start = System.nanoTime();
            operation.call();
            nanos.add(System.nanoTime() - start);
        }
        return FaultResults.median(nanos);
    }
}
