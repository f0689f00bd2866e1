package dev.relay.web.support;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The machine's HAProxy (/usr/sbin/haproxy, a child process) with the shipped configuration, deploy/haproxy.cfg:
 * only its frontend's address (a free loopback port) and its servers (the given nodes, {@code node1},
 * {@code node2}, ...) are changed, and a stats socket is added, through which the tests read each server's state and
 * counters. Everything else (balancing, health checks on readiness, timeouts) is the file's.
 */
public final class Haproxy implements AutoCloseable {

    public static final Path CONFIG = Path.of("..", "deploy", "haproxy.cfg").toAbsolutePath().normalize();
    private static final Path BINARY = Path.of("/usr/sbin/haproxy");

    private final Process process;
    private final int port;
    private final Path socket;
    private final Path log;

    private Haproxy(Process process, int port, Path socket, Path log) {
        this.process = process;
        this.port = port;
        this.socket = socket;
        this.log = log;
    }

    /**
     * Starts HAProxy in {@code dir} (its configuration, log and stats socket) in front of {@code nodePorts} on
     * 127.0.0.1; returns once it listens and its health checks have found every node ready.
     */
    public static Haproxy start(Path dir, Duration timeout, int... nodePorts) throws Exception {
        Files.createDirectories(dir);
        int port = ChildService.freePort();
        Path socket = dir.toAbsolutePath().resolve("stats.sock");
        Files.deleteIfExists(socket);
        Path config = dir.resolve("haproxy.cfg");
        Files.writeString(config, derive(Files.readAllLines(CONFIG), port, socket, nodePorts));
        Path log = dir.resolve("haproxy.log");
        // -db: stay in the foreground, so the process is HAProxy itself and stopping it stops HAProxy.
        Process process = new ProcessBuilder(BINARY.toString(), "-f", config.toString(), "-db")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Haproxy haproxy = new Haproxy(process, port, socket, log);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!haproxy.ready(nodePorts.length)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                haproxy.close();
                throw new IllegalStateException("HAProxy did not become ready; see " + log.toAbsolutePath());
            }
            Thread.sleep(100);
        }
        return haproxy;
    }

    /** deploy/haproxy.cfg with the frontend on 127.0.0.1:{@code port}, the servers replaced, a stats socket. */
    static String derive(List<String> lines, int port, Path socket, int... nodePorts) {
        List<String> out = new ArrayList<>();
        boolean bound = false;
        boolean serversWritten = false;
        for (String line : lines) {
            String trimmed = line.strip();
            if (trimmed.equals("global")) {
                out.add(line);
                out.add("    stats socket " + socket + " mode 600 level admin");
            } else if (trimmed.startsWith("bind ")) {
                out.add("    bind 127.0.0.1:" + port);
                bound = true;
            } else if (trimmed.startsWith("server ")) {
                if (!serversWritten) {
                    for (int i = 0; i < nodePorts.length; i++) {
                        out.add("    server node" + (i + 1) + " 127.0.0.1:" + nodePorts[i]);
                    }
                    serversWritten = true;
                }
            } else {
                out.add(line);
            }
        }
        if (!bound || !serversWritten) {
            throw new IllegalStateException(CONFIG + " has no bind or no server line to replace");
        }
        return String.join("\n", out) + "\n";
    }

    public int port() {
        return port;
    }

    public Path log() {
        return log;
    }

    /** One server's line of HAProxy's statistics. */
    public record Server(String name, String status, String checkStatus, long currentSessions, long totalSessions,
                         long bytesIn) {
    }

    /** The backend's servers ({@code node1}, ...) as HAProxy's stats report them now. */
    public Map<String, Server> servers() throws IOException {
        String csv = command("show stat");
        String[] lines = csv.split("\n");
        List<String> header = Arrays.asList(lines[0].replaceFirst("^# ", "").split(","));
        Map<String, Server> servers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split(",", -1);
            if (f.length < header.size() || !f[header.indexOf("svname")].startsWith("node")) {
                continue;
            }
            servers.put(f[header.indexOf("svname")], new Server(f[header.indexOf("svname")],
                    f[header.indexOf("status")], f[header.indexOf("check_status")],
                    Long.parseLong(f[header.indexOf("scur")]), Long.parseLong(f[header.indexOf("stot")]),
                    Long.parseLong(f[header.indexOf("bin")])));
        }
        return servers;
    }

    private boolean ready(int nodes) {
        if (!ChildService.listening(port)) {
            return false;
        }
        try {
            Map<String, Server> servers = servers();
            // UP alone is HAProxy's state before any check; L7OK is a passed check (readiness 200).
            return servers.size() == nodes && servers.values().stream()
                    .allMatch(s -> s.status().equals("UP") && s.checkStatus().contains("L7OK"));
        } catch (IOException e) {
            return false;
        }
    }

    /** One command on the stats socket; HAProxy answers and closes. */
    private String command(String command) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII)));
            StringBuilder answer = new StringBuilder();
            ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
            while (channel.read(buffer) >= 0) {
                buffer.flip();
                answer.append(StandardCharsets.UTF_8.decode(buffer));
                buffer.clear();
            }
            return answer.toString();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
