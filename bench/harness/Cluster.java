import dev.relay.api.UploadState;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.Event;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayAuth;
import dev.relay.client.RelayClient;
import io.minio.MinioClient;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cluster section: two nodes of the same build (A and B) on one database, one S3 server and Redis, and HAProxy
 * with deploy/haproxy.cfg in front, all started by bench/run.sh. Two commands of {@link Bench}:
 *
 * <pre>
 * cluster       upload throughput of N uploads at once through HAProxy to both nodes, through HAProxy to A alone
 *               and directly to A, in the same runs; a pause sent through B for an upload held on A, beside one sent
 *               through A; chat event latency from a sender on A to a stream on B, beside a stream on A
 * cluster-kill  SIGKILLs a node (--doomed-pid) that a user is connected to, and times until a user on another node
 *               (--watcher-url) hears that user go offline; once per run, as the node does not survive it
 * </pre>
 *
 * Clients connect to a node directly wherever the node matters (pause, chat, kill): through HAProxy, round robin
 * would choose it.
 */
final class Cluster {

    /** The variants of the throughput part, in their order within a run (rotated from run to run). */
    static final String DIRECT = "cluster.direct";
    static final String HAPROXY_ONE = "cluster.haproxy-one";
    static final String HAPROXY_TWO = "cluster.haproxy-two";
    /** Slow enough that the upload is mid-transfer when paused, fast enough that credit flows every few chunks. */
    static final long PAUSE_RATE = 8_000_000L;
    /** Bytes sent before the pause: the rate cap's pacing has settled by then. */
    static final long PAUSE_AFTER = 2L << 20;
    /** Pauses through each node per run: one pause is a single sample of a few milliseconds. */
    static final int PAUSES_PER_RUN = 5;
    /** Messages to each recipient before the measured ones: the nodes were warmed up on uploads, not on chat. */
    private static final int CHAT_WARMUP = 50;
    private static final Duration TIMEOUT = Duration.ofMinutes(30);
    private static final Duration VERB_TIMEOUT = Duration.ofMinutes(1);

    private final Results results;
    private final Map<String, String> options;

    Cluster(Results results, Map<String, String> options) {
        this.results = results;
        this.options = options;
    }

    void measure() throws Exception {
        Path file = Path.of(option("file"));
        String sha256 = FileTransfers.sha256(file);
        long size = Files.size(file);
        int runs = Integer.parseInt(option("runs"));
        int uploads = Integer.parseInt(option("uploads"));
        URI nodeA = URI.create(option("node-a-url"));
        URI nodeB = URI.create(option("node-b-url"));
        Path twoSocket = Path.of(option("haproxy-two-socket"));
        Path oneSocket = Path.of(option("haproxy-one-socket"));
        HaproxyStats.awaitChecked(twoSocket, 2);
        HaproxyStats.awaitChecked(oneSocket, 1);
        results.add("cluster.uploads", uploads);
        results.add("cluster.uploadMiB", size / 1048576.0);

        // Registered on A, valid on both: the nodes share the database and the JWT secret.
        String token = register(nodeA).token();
        Map<String, URI> through = new LinkedHashMap<>();
        through.put(DIRECT, ws(nodeA));
        through.put(HAPROXY_ONE, ws(URI.create(option("haproxy-one-url"))));
        through.put(HAPROXY_TWO, ws(URI.create(option("haproxy-two-url"))));
        Map<String, Path> sockets = Map.of(HAPROXY_ONE, oneSocket, HAPROXY_TWO, twoSocket);
        ProcessCpu cpu = new ProcessCpu()
                .watch("node-a", Long.parseLong(option("node-a-pid")))
                .watch("node-b", Long.parseLong(option("node-b-pid")))
                .watch("s3", Long.parseLong(option("s3-pid")))
                .watch("haproxy-one", Long.parseLong(option("haproxy-one-pid")))
                .watch("haproxy-two", Long.parseLong(option("haproxy-two-pid")));

        try (MinioClient minio = MinioClient.builder().endpoint(option("s3-endpoint"))
                .credentials(option("s3-access-key"), option("s3-secret-key")).region("us-east-1").build()) {
            String bucket = option("s3-bucket");
            Map<String, Bench.Variant> variants = new LinkedHashMap<>();
            through.forEach((name, ws) -> variants.put(name, (f, sha) -> concurrent(ws, token, f, sha, uploads,
                    null, null)));
            // Node B is warmed only through HAProxy: its compiler counts among those that must settle.
            WarmUp.run(variants, Path.of(option("warmup-file")), Long.parseLong(option("warmup-mib")) << 20,
                    Integer.parseInt(option("warmup-rounds")), uploads, new JitActivity()
                            .watch("service", Long.parseLong(option("node-a-pid")))
                            .watch("node-b", Long.parseLong(option("node-b-pid")))
                            .watch("s3", Long.parseLong(option("s3-pid"))));
            Uploads.emptyBucket(minio, bucket);

            List<String> order = new ArrayList<>(through.keySet());
            for (int run = 0; run < runs; run++) {
                for (int i = 0; i < order.size(); i++) {
                    String name = order.get((i + run) % order.size());
                    Bench.flushDisk();
                    Map<String, Double> before = cpu.sample();
                    double seconds = concurrent(through.get(name), token, file, sha256, uploads, sockets.get(name),
                            name);
                    ProcessCpu.record(results, name, before, cpu.sample(), uploads * size);
                    double mbps = uploads * size / seconds / 1e6;
                    results.add(name, mbps);
                    System.out.printf(Locale.ROOT, "  cluster %d/%d  %-20s %d uploads at once: %8.1f MB/s (%.2f s)%n",
                            run + 1, runs, name, uploads, mbps, seconds);
                    Uploads.emptyBucket(minio, bucket);
                    results.save();
                }
            }

            try (RelayClient writer = RelayClient.connect(ws(nodeA), token);
                 RelayClient controlA = RelayClient.connect(ws(nodeA), token);
                 RelayClient controlB = RelayClient.connect(ws(nodeB), token)) {
                // Run -1 warms the pause's path through each node (the nodes were warmed up on uploads only).
                for (int run = -1; run < runs; run++) {
                    // Alternating, so that both paths see the same moments of this shared machine.
                    for (int i = 0; i < (run < 0 ? 2 : 2 * PAUSES_PER_RUN); i++) {
                        boolean other = i % 2 == (run % 2 == 0 ? 0 : 1);
                        PauseOutcome o = pause(writer, other ? controlB : controlA, file, sha256);
                        if (run < 0) {
                            continue;
                        }
                        String key = "cluster.pause." + (other ? "other" : "same");
                        results.add(key + ".ackMillis", o.ackMillis());
                        results.add(key + ".bytesAfterAck", o.bytesAfterAck());
                        results.add(key + ".lastByteAfterAckMillis", o.lastByteAfterAckMillis());
                        System.out.printf(Locale.ROOT, "  cluster pause %d/%d through %s: response after %.1f ms, then"
                                        + " %d KiB sent until %.1f ms after it%n", run + 1, runs, other ? "B" : "A",
                                o.ackMillis(), o.bytesAfterAck() >> 10, o.lastByteAfterAckMillis());
                    }
                    Uploads.emptyBucket(minio, bucket);
                    results.save();
                }
            }
        }

        int messages = Integer.parseInt(option("messages"));
        for (int run = 0; run < runs; run++) {
            chat(nodeA, nodeB, messages, run + 1, runs);
            results.save();
        }
    }

    /**
     * {@code n} uploads of {@code file} at once, each on a connection of its own (separate clients, which HAProxy
     * balances one by one); returns the wall time of all. With HAProxy's stats {@code socket}, records how many of the
     * connections each node got under {@code cluster.<variant>.connections.<server>}.
     */
    private double concurrent(URI ws, String token, Path file, String sha256, int n, Path socket, String variant)
            throws Exception {
        Map<String, Long> sessionsBefore = socket == null ? Map.of() : HaproxyStats.sessions(socket);
        List<RelayClient> clients = new ArrayList<>();
        // Threads of our own for the blocking uploads: never block a shared Reactor scheduler.
        ExecutorService threads = Executors.newFixedThreadPool(n);
        try {
            for (int i = 0; i < n; i++) {
                RelayClient client = RelayClient.connect(ws, token);
                clients.add(client);
                client.me().block(VERB_TIMEOUT);
            }
            if (socket != null) {
                // Sessions of the previous variant may still be closing: count what these connections added.
                HaproxyStats.sessions(socket).forEach((server, now) -> results.add("cluster." + variant.substring(8)
                        + ".connections." + server, now - sessionsBefore.getOrDefault(server, 0L)));
            }
            long started = System.nanoTime();
            List<Future<Double>> uploads = new ArrayList<>();
            for (RelayClient client : clients) {
                uploads.add(threads.submit(() -> Uploads.relay(client, file, sha256)));
            }
            for (Future<Double> upload : uploads) {
                upload.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
            return (System.nanoTime() - started) / 1e9;
        } finally {
            threads.shutdownNow();
            clients.forEach(RelayClient::close);
        }
    }

    record PauseOutcome(double ackMillis, long bytesAfterAck, double lastByteAfterAckMillis) {
    }

    /**
     * An upload written to A at {@link #PAUSE_RATE}, paused through {@code control} once {@link #PAUSE_AFTER} bytes
     * went out; then silence is awaited as in {@link PauseProbe} and the upload cancelled. Bytes are counted where the
     * client hands them to RSocket, which it does only against credit the holder (A) granted.
     */
    private static PauseOutcome pause(RelayClient writer, RelayClient control, Path file, String sha256)
            throws Exception {
        long size = Files.size(file);
        UploadTicket ticket = writer.createUpload(new CreateUploadRequest("pause.bin", size,
                "application/octet-stream", sha256)).block(VERB_TIMEOUT);
        writer.limit(ticket.id(), PAUSE_RATE).block(VERB_TIMEOUT);
        AtomicLong sent = new AtomicLong();
        AtomicLong lastByte = new AtomicLong(System.nanoTime());
        CompletableFuture<Void> threshold = new CompletableFuture<>();
        Disposable write = writer.write(ticket.id(), 0, FileTransfers.read(file, 0, ticket.maxChunkBytes())
                        .doOnNext(chunk -> {
                            lastByte.set(System.nanoTime());
                            if (sent.addAndGet(chunk.remaining()) >= PAUSE_AFTER) {
                                threshold.complete(null);
                            }
                        }))
                .subscribe(e -> { }, threshold::completeExceptionally);
        try {
            threshold.get(VERB_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            long requested = System.nanoTime();
            UploadInfo paused = control.pause(ticket.id()).block(VERB_TIMEOUT);
            long ack = System.nanoTime();
            long sentAtAck = sent.get();
            if (paused == null || paused.state() != UploadState.PAUSED) {
                throw new IllegalStateException("Expected the upload to be PAUSED, got " + paused);
            }
            while (System.nanoTime() - lastByte.get() < PauseProbe.SILENCE.toNanos()) {
                Thread.sleep(50);
            }
            return new PauseOutcome((ack - requested) / 1e6, sent.get() - sentAtAck,
                    Math.max(0, lastByte.get() - ack) / 1e6);
        } finally {
            writer.cancel(ticket.id()).onErrorResume(e -> Mono.empty()).block(VERB_TIMEOUT);
            write.dispose();
        }
    }

    /**
     * A sender on A sends {@code messages} texts to each of two recipients, one at a time and alternately: Y, whose
     * event stream is on B (the event crosses through Redis), and Z, whose stream is on A. Latency is from the start
     * of the send call to the event's arrival on the recipient's stream; the send call's own response time is
     * recorded too. The nodes run with chat rate limits out of the way (bench/run.sh).
     */
    private void chat(URI nodeA, URI nodeB, int messages, int run, int runs) throws Exception {
        AuthToken x = register(nodeA);
        AuthToken y = register(nodeA);
        AuthToken z = register(nodeA);
        Map<String, CompletableFuture<Long>> arrivals = new ConcurrentHashMap<>();
        try (RelayClient xOnA = RelayClient.connect(ws(nodeA), x.token());
             RelayClient yOnB = RelayClient.connect(ws(nodeB), y.token());
             RelayClient zOnA = RelayClient.connect(ws(nodeA), z.token())) {
            List<Disposable> streams = new ArrayList<>();
            for (RelayClient recipient : List.of(yOnB, zOnA)) {
                // From the start of a new user's log: a message sent before the stream is subscribed is replayed.
                streams.add(recipient.events(0L).filter(e -> e.type() == Event.Type.MESSAGE)
                        .subscribe(e -> arrival(arrivals, e.message().text()).complete(System.nanoTime()),
                                e -> arrivals.values().forEach(f -> f.completeExceptionally(e))));
            }
            xOnA.me().block(VERB_TIMEOUT);
            try {
                List<Double> other = new ArrayList<>();
                List<Double> same = new ArrayList<>();
                List<Double> send = new ArrayList<>();
                // The first messages also wait for the streams to start (replayed from the log): not measured.
                for (int i = 0; i < 2 * (CHAT_WARMUP + messages); i++) {
                    boolean toB = i % 2 == 0;
                    String text = "m" + run + "-" + i;
                    long started = System.nanoTime();
                    xOnA.sendText(toB ? y.userId() : z.userId(), text).block(VERB_TIMEOUT);
                    long answered = System.nanoTime();
                    long arrived = arrival(arrivals, text).get(VERB_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                    arrivals.remove(text);
                    if (i >= 2 * CHAT_WARMUP) {
                        (toB ? other : same).add((arrived - started) / 1e6);
                        send.add((answered - started) / 1e6);
                    }
                }
                other.forEach(ms -> results.add("cluster.chat.other", ms));
                same.forEach(ms -> results.add("cluster.chat.same", ms));
                send.forEach(ms -> results.add("cluster.chat.send", ms));
                System.out.printf(Locale.ROOT, "  cluster chat %d/%d  %d messages each: event on the other node p50"
                                + " %.1f ms, p99 %.1f ms; on the same node p50 %.1f ms, p99 %.1f ms%n", run, runs,
                        messages, percentile(other, 0.5), percentile(other, 0.99), percentile(same, 0.5),
                        percentile(same, 0.99));
            } finally {
                streams.forEach(Disposable::dispose);
            }
        }
    }

    private static CompletableFuture<Long> arrival(Map<String, CompletableFuture<Long>> arrivals, String text) {
        return arrivals.computeIfAbsent(text, t -> new CompletableFuture<>());
    }

    /**
     * A user connected only to the doomed node, seen online by a user on the watcher node; then the doomed node is
     * SIGKILLed and the time until the watcher hears the user go offline is recorded. Nothing announces a killed
     * node's users: the other nodes find its heartbeat expired (RedisPresence).
     */
    void kill() throws Exception {
        URI doomed = URI.create(option("doomed-url"));
        URI watcher = URI.create(option("watcher-url"));
        ProcessHandle node = ProcessHandle.of(Long.parseLong(option("doomed-pid")))
                .orElseThrow(() -> new IllegalStateException("No process " + option("doomed-pid")));
        AuthToken v = register(watcher);
        AuthToken w = register(watcher);
        BlockingQueue<long[]> heard = new LinkedBlockingQueue<>();
        try (RelayClient vOnWatcher = RelayClient.connect(ws(watcher), v.token());
             RelayClient wOnDoomed = RelayClient.connect(ws(doomed), w.token())) {
            Disposable stream = vOnWatcher.events(null)
                    .filter(e -> e.type() == Event.Type.PRESENCE && e.user().id().equals(w.userId()))
                    .subscribe(e -> heard.add(new long[]{e.user().online() ? 1 : 0, System.nanoTime()}), e -> { });
            try {
                vOnWatcher.me().block(VERB_TIMEOUT);
                // Live events have no log to replay: the stream must be subscribed on the watcher before w connects.
                Thread.sleep(1000);
                long connecting = System.nanoTime();
                wOnDoomed.me().block(VERB_TIMEOUT);
                long[] online = heard.poll(30, TimeUnit.SECONDS);
                if (online == null || online[0] != 1) {
                    throw new IllegalStateException("The watcher did not hear the user come online: " + online);
                }
                long killed = System.nanoTime();
                if (!node.destroyForcibly()) {
                    throw new IllegalStateException("Could not SIGKILL " + node.pid());
                }
                long[] offline = heard.poll(60, TimeUnit.SECONDS);
                if (offline == null || offline[0] != 0) {
                    throw new IllegalStateException("The watcher did not hear the user go offline within 60 s");
                }
                node.onExit().get(30, TimeUnit.SECONDS);
                double seconds = (offline[1] - killed) / 1e9;
                double onlineMillis = (online[1] - connecting) / 1e6;
                results.add("cluster.kill.offlineSeconds", seconds);
                results.add("cluster.kill.onlineMillis", onlineMillis);
                results.save();
                System.out.printf(Locale.ROOT, "  cluster kill  online heard on the other node %.0f ms after"
                        + " connecting; SIGKILL → offline heard there after %.2f s%n", onlineMillis, seconds);
            } finally {
                stream.dispose();
            }
        }
    }

    /** Nearest rank: the smallest value with at least {@code p} of the values at or below it; NaN if none. */
    static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(Math.max(0, (int) Math.ceil(p * sorted.size()) - 1));
    }

    private static AuthToken register(URI node) {
        return new RelayAuth(node).register("bench-" + UUID.randomUUID().toString().substring(0, 8),
                "bench-password-1").block(VERB_TIMEOUT);
    }

    private static URI ws(URI http) {
        return URI.create(http.toString().replaceFirst("^http", "ws") + "/rsocket");
    }

    private String option(String name) {
        String value = options.get(name);
        if (value == null) {
            throw new IllegalArgumentException("Missing option --" + name);
        }
        return value;
    }
}
