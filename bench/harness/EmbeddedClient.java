import dev.relay.client.NettyBufferChecks;
import dev.relay.client.RelayClient;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Java client embedded in another program, beside the harness's own client (whose main() turns Netty's
 * per-access buffer checks off, as the relay CLI's does): a child JVM per variant, started once and kept warm, that
 * uploads through {@link Uploads#relay} on command and reports the seconds. A library cannot count on system
 * properties being set before Netty loads, so {@code embedded} (this build, Netty's defaults) is what a program using
 * the client gets, and {@code relaxed} (this build, checks off in main()) what the CLI gets, in the same kind of JVM
 * (the harness's own, running for long, makes a poor baseline for a child's CPU). With {@code --before-client-jar}
 * (another build's relay-client jar, put first on the class path) two more: {@code before-embedded} and
 * {@code before-relaxed}, so one run compares builds.
 * {@code --embedded-java-opts} adds JVM options to every child (e.g. a JFR recording), {@code {child}} in them
 * replaced by the child's name.
 */
final class EmbeddedClient implements AutoCloseable {

    /** Replies start with this; anything else a child prints (a library's message) is passed on to stderr. */
    private static final String REPLY = "@@ ";
    private static final String RELAXED = "--relaxed";

    private final String name;
    private final Process process;
    private final Writer commands;
    private final BufferedReader replies;

    private EmbeddedClient(String name, String jarInFront, boolean relaxed, String javaOpts, URI ws, String token)
            throws IOException {
        this.name = name;
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        if (!javaOpts.isBlank()) {
            // {child} names the child, so that each writes a file of its own (JDK 17's JFR expands no %p).
            command.addAll(List.of(javaOpts.trim().replace("{child}", name).split("\\s+")));
        }
        String classPath = System.getProperty("java.class.path");
        command.addAll(List.of("-Dlogback.configurationFile=" + System.getProperty("logback.configurationFile"),
                "-cp", jarInFront == null ? classPath : jarInFront + File.pathSeparator + classPath,
                EmbeddedClient.class.getName()));
        if (relaxed) {
            command.add(RELAXED);
        }
        process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        replies = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        // The token goes through the pipe, not the command line that every process may read.
        send(ws + "\n" + token + "\n");
        reply();
    }

    /** The children of a run of the throughput section, named {@code <variant>@<window>}. */
    static List<EmbeddedClient> start(Map<String, String> options, URI ws, String token, String window)
            throws IOException {
        String opts = options.getOrDefault("embedded-java-opts", "");
        String before = options.getOrDefault("before-client-jar", "");
        List<EmbeddedClient> clients = new ArrayList<>();
        try {
            clients.add(new EmbeddedClient("embedded@" + window, null, false, opts, ws, token));
            clients.add(new EmbeddedClient("relaxed@" + window, null, true, opts, ws, token));
            if (!before.isEmpty()) {
                clients.add(new EmbeddedClient("before-embedded@" + window, before, false, opts, ws, token));
                clients.add(new EmbeddedClient("before-relaxed@" + window, before, true, opts, ws, token));
            }
        } catch (IOException | RuntimeException e) {
            clients.forEach(EmbeddedClient::close);
            throw e;
        }
        return clients;
    }

    /** Whether {@code variant} is one of these children's. */
    static boolean isChild(String variant) {
        return variant.matches("(before-)?(embedded|relaxed)@.*");
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    /** Uploads {@code file} once in the child; returns the seconds it took there. */
    double upload(Path file, String sha256) throws IOException {
        send(file + "\t" + sha256 + "\n");
        return Double.parseDouble(reply());
    }

    private void send(String text) throws IOException {
        commands.write(text);
        commands.flush();
    }

    private String reply() throws IOException {
        String line;
        while ((line = replies.readLine()) != null) {
            if (!line.startsWith(REPLY)) {
                System.err.println("[" + name + "] " + line);
            } else if (line.startsWith(REPLY + "error ")) {
                throw new IllegalStateException(name + ": " + line.substring(REPLY.length()));
            } else {
                return line.substring(REPLY.length());
            }
        }
        throw new IllegalStateException(name + ": the child JVM ended (exit status " + waitFor() + ")");
    }

    private int waitFor() {
        try {
            return process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Closing its input ends the child. */
    @Override
    public void close() {
        try {
            commands.close();
        } catch (IOException ignored) {
            // It is being stopped anyway.
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The child: reads the service's WebSocket URI and a token, then one "file TAB sha256" line per upload. */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals(RELAXED)) {
            NettyBufferChecks.relaxUnlessConfigured();
        } else if (System.getProperty("io.netty.buffer.checkAccessible") != null
                || System.getProperty("io.netty.buffer.checkBounds") != null) {
            throw new IllegalStateException("The embedded client must run with Netty's default buffer checks");
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        URI ws = URI.create(in.readLine());
        String token = in.readLine();
        try (RelayClient client = RelayClient.connect(ws, token)) {
            System.out.println(REPLY + "ready");
            String line;
            while ((line = in.readLine()) != null) {
                String[] fields = line.split("\t");
                try {
                    System.out.println(REPLY + Uploads.relay(client, Path.of(fields[0]), fields[1]));
                } catch (Exception e) {
                    System.out.println(REPLY + "error " + e);
                }
            }
        }
        // Whatever library thread is left (none should be) must not keep the child alive.
        System.exit(0);
    }
}
