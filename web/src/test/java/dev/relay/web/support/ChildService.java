package dev.relay.web.support;

import dev.relay.infra.testing.TestServices;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The service in a child JVM, on the shared test database and S3 server: for tests that stop it (SIGTERM) or kill it
 * (SIGKILL) and start it again, which the service inside the test's own JVM cannot do.
 */
public final class ChildService {

    private ChildService() {
    }

    /**
     * Starts {@code RelayApplication} on {@code port} with {@code args} (Spring properties as {@code --name=value},
     * which replace the shared services' settings of the same name; of two args of one name the later wins), its
     * output in {@code log}, and waits until it listens.
     */
    public static Process start(int port, Path log, Duration timeout, List<String> args) throws Exception {
        return start(port, log, timeout, TestServices.get().springProperties(), args);
    }

    /**
     * Starts {@code RelayApplication} as {@link #start} does but on the application's own defaults (the embedded
     * MariaDB and S3 server unless {@code args} say otherwise), without the shared test services.
     */
    public static Process startOnDefaults(int port, Path log, Duration timeout, List<String> args) throws Exception {
        return start(port, log, timeout, Map.of(), args);
    }

    private static Process start(int port, Path log, Duration timeout, Map<String, String> shared, List<String> args)
            throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), "dev.relay.web.RelayApplication",
                "--server.port=" + port, "--spring.main.banner-mode=off"));
        // A property given twice on the command line would read as both values joined by a comma: the last one wins.
        Map<String, String> properties = new LinkedHashMap<>();
        shared.forEach((key, value) -> properties.put(key, "--" + key + "=" + value));
        for (String arg : args) {
            properties.put(arg.startsWith("--") && arg.contains("=") ? arg.substring(2, arg.indexOf('=')) : arg, arg);
        }
        command.addAll(properties.values());
        Files.createDirectories(log.toAbsolutePath().getParent());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!listening(port)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IllegalStateException("The service did not start; see " + log.toAbsolutePath());
            }
            Thread.sleep(100);
        }
        return process;
    }

    public static boolean listening(int port) {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
