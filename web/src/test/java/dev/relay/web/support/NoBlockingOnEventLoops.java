package dev.relay.web.support;

import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingOperationError;
import reactor.blockhound.integration.BlockHoundIntegration;

import java.util.ServiceLoader;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Installs BlockHound for the integration tests: a blocking call (sleep, socket or file I/O, lock wait) on a Netty
 * event loop or a Reactor non-blocking scheduler is recorded; each test checks {@link #drain()} is empty.
 */
public final class NoBlockingOnEventLoops {

    /**
     * Calls that wait only for microseconds and are not ours to change: SecureRandom reads /dev/urandom, which never
     * blocks (Spring's message ids and UUIDs use it); cancelling a scheduled task (rsocket-java's keepalive, when a
     * connection closes) removes it from the executor's queue under that queue's lock; Jackson builds a type's
     * (de)serializer once, under a lock, the first time it meets the type.
     */
    private static final List<String> BENIGN = List.of("java.security.SecureRandom.nextBytes",
            "reactor.core.scheduler.PeriodicWorkerTask.dispose", "reactor.core.scheduler.WorkerTask.dispose",
            "reactor.core.scheduler.SchedulerTask.dispose",
            "com.fasterxml.jackson.databind.deser.DeserializerCache._createAndCacheValueDeserializer",
            "com.fasterxml.jackson.databind.ser.SerializerCache");

    private static final List<String> VIOLATIONS = new CopyOnWriteArrayList<>();
    private static boolean installed;

    private NoBlockingOnEventLoops() {
    }

    public static synchronized void install() {
        if (installed) {
            return;
        }
        installed = true;
        BlockHound.Builder builder = BlockHound.builder();
        // Reactor's and Netty's integrations mark their threads as non-blocking; builder() alone loads none.
        ServiceLoader.load(BlockHoundIntegration.class).forEach(builder::with);
        // Recorded, not thrown: an error thrown on a server thread would break the service under test rather
        // than fail the test that caused it.
        builder.blockingMethodCallback(method -> {
                    String stack = stack(new BlockingOperationError(method));
                    if (BENIGN.stream().noneMatch(stack::contains)) {
                        VIOLATIONS.add(Thread.currentThread().getName() + ": " + method + "\n" + stack);
                    }
                })
                .install();
    }

    /** The violations recorded since the last call, which forgets them. */
    public static List<String> drain() {
        List<String> seen = List.copyOf(VIOLATIONS);
        VIOLATIONS.removeAll(seen);
        return seen;
    }

    private static String stack(Throwable e) {
        StringBuilder out = new StringBuilder();
        for (StackTraceElement element : e.getStackTrace()) {
            out.append("    at ").append(element).append('\n');
        }
        return out.toString();
    }
}
