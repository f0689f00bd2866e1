package dev.relay.web.faults;

import dev.relay.infra.testing.TestServices;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
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
        try (ServerSocket socket = new ServerSocket(0)) {
            this.port = socket.getLocalPort();
        }
        this.extraArgs = List.of(extraArgs);
    }

    int port() {
        return port;
    }

    /** Starts the service and waits until it listens; returns how long that took, in nanoseconds. */
    long start() throws Exception {
        long begin = System.nanoTime();
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx512m", "--add-opens=java.base/sun.security.provider=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.relay.web.RelayApplication",
                "--server.port=" + port, "--relay.transfer.part-size=5MB", "--relay.transfer.max-chunk-size=256KB",
                "--relay.transfer.credit-window=1MB", "--relay.transfer.credit-window-max=1MB",
                "--relay.transfer.expiry-sweep-interval=1h", "--spring.main.banner-mode=off"));
        TestServices.get().springProperties().forEach((key, value) -> command.add("--" + key + "=" + value));
        command.addAll(extraArgs);
        Files.createDirectories(FaultResults.DIR);
        Path log = FaultResults.DIR.resolve("service-" + STARTS.incrementAndGet() + ".log");
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!listening()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("The service did not start; see " + log.toAbsolutePath());
            }
            Thread.sleep(100);
        }
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

    private boolean listening() {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill();
        awaitDeath();
    }
}
