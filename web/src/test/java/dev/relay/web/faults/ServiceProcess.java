package dev.relay.web.faults;

import dev.relay.web.support.ChildService;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The service in a child JVM (as in ServerCrashIntegrationTests) so that it can really be SIGKILLed, on a fixed port
 * and with the shared test database and S3 server, so a restart finds everything the killed one made durable.
 */
final class ServiceProcess implements AutoCloseable {

    private static final AtomicInteger STARTS = new AtomicInteger();

    private final int port;
    private final List<String> extraArgs;
    private Process process;

    ServiceProcess(String... extraArgs) throws IOException {
        this.port = ChildService.freePort();
        this.extraArgs = List.of(extraArgs);
    }

    int port() {
        return port;
    }

    /** Starts the service and waits until it listens; returns how long that took, in nanoseconds. */
    long start() throws Exception {
        long begin = System.nanoTime();
        List<String> args = new ArrayList<>(List.of("--relay.transfer.part-size=5MB",
                "--relay.transfer.max-chunk-size=256KB", "--relay.transfer.credit-window=256KB",
                "--relay.transfer.credit-window-max=256KB", "--relay.transfer.expiry-sweep-interval=1h"));
        args.addAll(extraArgs); // an extra argument replaces a default of the same name (ChildService)
        Path log = FaultResults.DIR.resolve("service-" + STARTS.incrementAndGet() + ".log");
        process = ChildService.start(port, log, Duration.ofSeconds(120), args);
        return System.nanoTime() - begin;
    }

    /** SIGKILL: no shutdown hook runs, nothing is staged. Safe to call from any thread, more than once. */
    void kill() {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
        }
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    void awaitDeath() throws InterruptedException {
        if (process != null && !process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("The killed service is still alive");
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill();
        awaitDeath();
    }
}
