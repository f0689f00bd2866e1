package dev.relay.embedded;

import io.minio.BucketExistsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * An S3 API server (S3Proxy on its filesystem provider) run as a child JVM.
 *
 * <p>S3Proxy's fat jar carries unrelocated copies of Jetty, Jackson and friends that clash with Spring's, so it
 * never joins our class path: the build packs it as the resource {@code s3proxy.jar} next to this class, and
 * {@link #start()} copies it into the data directory and launches it with the running JVM's own {@code java}.
 *
 * <p>Layout of the data directory (owner-only, like every file in it): {@code objects/} (one folder per bucket),
 * {@code s3proxy.jar} (checked against {@link #JAR_SHA256} on every start and copied again if it differs),
 * {@code s3proxy.conf}, {@code s3proxy-logback.xml}, {@code s3proxy.log} (appended across runs), and
 * {@code s3proxy.lock} and {@code s3proxy.process} ({@link ChildGuard}). Objects survive {@link #stop()} and a new
 * start on the same directory. The child is stopped when this JVM exits, and after a SIGKILL of this JVM by its
 * watchdog (Linux) or else by the next start on the directory.
 */
public final class EmbeddedS3Server implements AutoCloseable {

    public static final String HOST = "127.0.0.1";

    private static final String JAR_RESOURCE = "s3proxy.jar";
    /** SHA-256 of org.gaul:s3proxy:4.1.0:jar-with-dependencies (the s3proxy.version of the build). */
    static final String JAR_SHA256 = "a4d025969aaf796616ed4b1e2491d87d455ce84bb28cb9db086b2e6aaa68b48d";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final int LOG_TAIL_BYTES = 4096;

    private final Path dataDir;
    private final String accessKey;
    private final String secretKey;
    private final String bucket;

    private int port;
    private volatile Process process;
    private Thread shutdownHook;
    private ChildGuard guard;

    /**
     * @param dataDir   directory for objects, the server jar, its configuration and its log; created if missing
     * @param port      TCP port, or 0 to pick a free one on the first start (kept for later restarts)
     * @param accessKey the only identity the server accepts
     * @param secretKey its secret
     * @param bucket    bucket created on start if it does not exist yet
     */
    public EmbeddedS3Server(Path dataDir, int port, String accessKey, String secretKey, String bucket) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("Invalid port: " + port);
        }
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.port = port;
        this.accessKey = requireText(accessKey, "accessKey");
        this.secretKey = requireText(secretKey, "secretKey");
        this.bucket = requireText(bucket, "bucket");
    }

    /** Starts the server (a no-op if it runs) and makes sure the bucket exists. Blocks until both hold. */
    public synchronized EmbeddedS3Server start() {
        if (process != null && process.isAlive()) {
            return this;
        }
        if (guard != null) {
            // The child died by itself since the last start.
            guard.release();
            guard = null;
        }
        try {
            OwnerOnly.directory(dataDir);
            OwnerOnly.directory(dataDir.resolve("objects"));
            // Before the port check: an S3Proxy left by a crashed run may hold the port.
            guard = ChildGuard.acquire(dataDir, "s3proxy");
            if (port == 0) {
                port = freePort();
            } else {
                requirePortFree(port);
            }
            Path jar = extractJar();
            Path config = writeConfig();
            Path logback = writeLogbackConfig();
            Path log = OwnerOnly.file(dataDir.resolve("s3proxy.log"));
            process = new ProcessBuilder(javaBinary(), "-Dlogback.configurationFile=" + logback,
                    "-cp", jar.toString(), "org.gaul.s3proxy.Main", "--properties", config.toString())
                .directory(dataDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
            // S3Proxy never reads stdin; do not keep a pipe open to it.
            process.getOutputStream().close();
            guard.adopt(process.toHandle(), config.toString());
            registerShutdownHook();
            awaitReady(log);
            ensureBucket();
        } catch (IOException e) {
            stop();
            throw new UncheckedIOException("Embedded S3 server under " + dataDir + " did not start", e);
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
        return this;
    }

    /** Stops the server, politely first; the objects stay. Safe to call more than once and before start. */
    public synchronized void stop() {
        Process running = process;
        process = null;
        try {
            if (running != null) {
                terminate(running);
            }
        } finally {
            if (guard != null) {
                guard.release();
                guard = null;
            }
        }
    }

    @Override
    public void close() {
        stop();
    }

    public boolean isRunning() {
        Process running = process;
        return running != null && running.isAlive();
    }

    /** The server's base URL, e.g. {@code http://127.0.0.1:9123}; known after the first start when 0 was requested. */
    public synchronized String endpoint() {
        if (port == 0) {
            throw new IllegalStateException("Embedded S3 server has not been started yet");
        }
        return "http://" + HOST + ":" + port;
    }

    public synchronized int port() {
        return port;
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    public String bucket() {
        return bucket;
    }

    public Path dataDir() {
        return dataDir;
    }

    @Override
    public String toString() {
        return "EmbeddedS3Server[" + dataDir + "]";
    }

    private Path extractJar() throws IOException {
        URL resource = EmbeddedS3Server.class.getResource(JAR_RESOURCE);
        if (resource == null) {
            throw new IllegalStateException("Resource " + JAR_RESOURCE + " next to " + EmbeddedS3Server.class.getName()
                + " is missing; the embedded module's build copies it there in generate-resources");
        }
        Path target = dataDir.resolve(JAR_RESOURCE);
        // The whole content, not the size: this jar runs with the service's rights.
        if (Files.isRegularFile(target) && JAR_SHA256.equals(OwnerOnly.sha256(target))) {
            OwnerOnly.file(target);
            return target;
        }
        // Copy beside and move into place, so an interrupted copy never passes for the jar.
        Path partial = dataDir.resolve(JAR_RESOURCE + ".partial");
        Files.deleteIfExists(partial);
        OwnerOnly.file(partial);
        // Into the 0600 file as it is: Files.copy would replace it by one of the default mode.
        try (InputStream in = resource.openStream(); OutputStream out = Files.newOutputStream(partial)) {
            in.transferTo(out);
        }
        String copied = OwnerOnly.sha256(partial);
        if (!JAR_SHA256.equals(copied)) {
            Files.delete(partial);
            throw new IllegalStateException("The bundled " + JAR_RESOURCE + " has SHA-256 " + copied + ", not the "
                + JAR_SHA256 + " of the S3Proxy release this version was built with; refusing to run it");
        }
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    private Path writeConfig() throws IOException {
        String config = String.join("\n",
            "s3proxy.endpoint=" + endpoint(),
            "s3proxy.authorization=aws-v2-or-v4",
            "s3proxy.identity=" + escape(accessKey),
            "s3proxy.credential=" + escape(secretKey),
            // Otherwise any x-amz-* header S3Proxy does not know (SDKs add new ones) fails the request with 501.
            "s3proxy.ignore-unknown-headers=true",
            "jclouds.provider=filesystem-nio2",
            "jclouds.filesystem.basedir=" + escape(dataDir.resolve("objects").toString()),
            "");
        return OwnerOnly.write(dataDir.resolve("s3proxy.conf"), config);
    }

    // Without a configuration S3Proxy logs at DEBUG, which slows every request down noticeably.
    private Path writeLogbackConfig() throws IOException {
        String xml = String.join("\n",
            "<configuration>",
            "  <appender name=\"STDOUT\" class=\"ch.qos.logback.core.ConsoleAppender\">",
            "    <encoder><pattern>%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level %logger{30} - %msg%n</pattern></encoder>",
            "  </appender>",
            "  <logger name=\"org.eclipse.jetty\" level=\"WARN\"/>",
            "  <logger name=\"org.gaul.shaded.org.eclipse.jetty\" level=\"WARN\"/>",
            "  <logger name=\"jclouds\" level=\"WARN\"/>",
            "  <logger name=\"org.jclouds\" level=\"WARN\"/>",
            "  <root level=\"INFO\"><appender-ref ref=\"STDOUT\"/></root>",
            "</configuration>",
            "");
        return OwnerOnly.write(dataDir.resolve("s3proxy-logback.xml"), xml);
    }

    /** Waits until the port accepts connections and an HTTP request gets any answer (S3 says 403 to anonymous). */
    private void awaitReady(Path log) throws IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest probe = HttpRequest.newBuilder(URI.create(endpoint() + "/")).timeout(Duration.ofSeconds(5)).GET().build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            Process running = process;
            if (running == null || !running.isAlive()) {
                String exit = running == null ? "was stopped" : "exited with code " + running.exitValue();
                throw new IllegalStateException("Embedded S3 server " + exit + " while starting; end of "
                    + log + ":\n" + tail(log));
            }
            if (accepts(port)) {
                try {
                    http.send(probe, HttpResponse.BodyHandlers.discarding());
                    return;
                } catch (IOException notYet) {
                    // Jetty accepts before S3Proxy's handler is installed; retry.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("Interrupted while waiting for the embedded S3 server", e);
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Embedded S3 server did not answer on " + endpoint() + " within "
                    + START_TIMEOUT.toSeconds() + " s; end of " + log + ":\n" + tail(log));
            }
            sleep(100);
        }
    }

    private void ensureBucket() {
        try (MinioClient client = MinioClient.builder().endpoint(endpoint()).credentials(accessKey, secretKey).build()) {
            if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
                client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
            }
        } catch (Exception e) {
            throw new IllegalStateException("Could not create bucket " + bucket + " on the embedded S3 server", e);
        }
    }

    private synchronized void registerShutdownHook() {
        if (shutdownHook != null) {
            return;
        }
        // Reads the volatile field without the lock: a stop() in progress on another thread must not block exit.
        shutdownHook = new Thread(() -> {
            Process running = process;
            if (running != null) {
                terminate(running);
            }
        }, "embedded-s3-server-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    private static void terminate(Process running) {
        running.destroy();
        try {
            if (!running.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                running.destroyForcibly().waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            running.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command()
            .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(HOST, 0));
            return socket.getLocalPort();
        }
    }

    // An S3 server left over on the port would answer our readiness probe while our own child fails to bind.
    private static void requirePortFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(HOST, port));
        } catch (IOException e) {
            throw new IllegalStateException("Port " + HOST + ":" + port + " for the embedded S3 server is in use", e);
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String tail(Path log) {
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            long start = Math.max(0, file.length() - LOG_TAIL_BYTES);
            byte[] bytes = new byte[(int) (file.length() - start)];
            file.seek(start);
            file.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    // java.util.Properties syntax: backslash-escape what it would otherwise interpret.
    private static String escape(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (char c : value.toCharArray()) {
            if ("\\=:#!".indexOf(c) >= 0) {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the embedded S3 server", e);
        }
    }

    private static String requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
        return value;
    }
}
