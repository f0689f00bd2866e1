import dev.relay.client.FileTransfers;
import dev.relay.client.NettyBufferChecks;
import dev.relay.client.RelayAuth;
import dev.relay.client.RelayClient;
import dev.relay.infra.testing.DelayRelay;
import io.minio.MinioClient;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The measuring side of bench/run.sh, which starts and stops the servers. Commands:
 *
 * <pre>
 * measure      --sections throughput,pause,latency --window 1MB --file F --runs N --warmup-file W --warmup-mib M
 *              [--warmup-rounds R] --results R.properties (+ endpoints)
 * cluster      the cluster section's throughput, pause and chat parts ({@link Cluster}; nodes and HAProxy)
 * cluster-kill the cluster section's killed node, once per run ({@link Cluster#kill})
 * chat         the chat section: N users' connections, messages at fixed rates, a mass reconnect
 *              ({@link ChatLoad}); exits 3 when a message was lost at a rate the node sustained
 * report       --results R.properties --out latest.md (+ descriptions of the setup)
 * </pre>
 *
 * {@code measure} appends raw figures of each run to the results file (see {@link Results}); {@code report} turns
 * them into medians and ratios, prints the tables and writes them as markdown. Sections: {@code throughput} (Relay,
 * the MinIO SDK directly, the AWS SDK's multipart client when {@code --aws-cp} gives its class path ({@link AwsUploader})
 * and tus, with the service's memory), {@code relay} (Relay alone), {@code pause},
 * {@code latency} (Relay through a {@link DelayRelay}), {@code browser} ({@link BrowserBench}). {@code --window} names
 * the credit window the service runs with (run.sh sets it), so that figures of several service configurations can share one results file.
 * {@code --second-service-url}, {@code --second-service-pid} and {@code --second-window} add a second service (another
 * configuration or another build, with a database of its own) to the throughput section: its uploads run in the same
 * runs as the first's, under {@code relay@<second-window>}. The throughput section also uploads through the client
 * embedded in child JVMs with Netty's default buffer checks ({@link EmbeddedClient}, {@code embedded@<window>}).
 */
public final class Bench {

    private static final Duration ONE_WAY_DELAY = Duration.ofMillis(20);
    private static final Duration SHORT_ONE_WAY_DELAY = Duration.ofMillis(5);
    static final int[] SCALING = {1, 4, 16, 64};
    /** Share of an upload's time a JVM may still spend compiling when the warm-up ends. */
    private static final String SECOND_SERVICE = "second-service";
    /** The AWS SDK v2's multipart client with 8 MiB parts, several in parallel (bench/aws). */
    static final String AWS = "aws8";

    private final Map<String, String> options;
    private final Results results;

    private Bench(Map<String, String> options) throws IOException {
        this.options = options;
        this.results = Results.load(Path.of(option("results")));
    }

    public static void main(String[] args) throws Exception {
        // The Relay client runs here as the relay CLI runs it.
        NettyBufferChecks.relaxUnlessConfigured();
        if (args.length == 0 || !Set.of("measure", "cluster", "cluster-kill", "chat", "report").contains(args[0])) {
            throw new IllegalArgumentException(
                    "usage: Bench measure|cluster|cluster-kill|chat|report --option value ...");
        }
        Bench bench = new Bench(parse(args));
        switch (args[0]) {
            case "measure" -> bench.measure();
            case "cluster" -> new Cluster(bench.results, bench.options).measure();
            case "cluster-kill" -> new Cluster(bench.results, bench.options).kill();
            // Thousands of connections' threads and buffers: done with them, the JVM ends here.
            case "chat" -> System.exit(new ChatLoad(bench.results, bench.options).measure() ? 0 : 3);
            default -> Report.write(bench.results, bench.options);
        }
    }

    private void measure() throws Exception {
        Path file = Path.of(option("file"));
        int runs = Integer.parseInt(option("runs"));
        String window = option("window");
        Set<String> sections = Set.of(option("sections").split(","));
        String sha256 = FileTransfers.sha256(file);

        String serviceUrl = option("service-url");
        // The browser section logs the same user in through the app's form.
        options.put("username", "bench-" + UUID.randomUUID().toString().substring(0, 8));
        options.put("password", "bench-password-1");
        String token = new RelayAuth(URI.create(serviceUrl)).register(option("username"), option("password"))
                .block().token();
        options.put("token", token);
        URI ws = URI.create(serviceUrl.replaceFirst("^http", "ws") + "/rsocket");
        String bucket = option("s3-bucket");
        ServiceMemory memory = new ServiceMemory(Long.parseLong(option("service-pid")));
        ProcessCpu cpu = new ProcessCpu()
                .watch("service", Long.parseLong(option("service-pid")))
                .watch("s3", Long.parseLong(options.getOrDefault("s3-pid", "0")))
                .watch("tus", Long.parseLong(options.getOrDefault("tus-pid", "0")))
                .watch(SECOND_SERVICE, Long.parseLong(options.getOrDefault("second-service-pid", "0")));
        // A second service (another configuration, e.g. another part size, or another build) measured in the same
        // runs as the first: its figures then compare with the first's and the direct uploads run by run, not across
        // separately started sections. It has a database of its own, so its user is registered there.
        String second = options.containsKey("second-service-url") ? "relay@" + option("second-window") : null;
        String secondUrl = second == null ? null : option("second-service-url");
        RelayClient secondClient = second == null ? null : RelayClient.connect(URI.create(
                secondUrl.replaceFirst("^http", "ws") + "/rsocket"), new RelayAuth(URI.create(secondUrl))
                .register("bench-" + UUID.randomUUID().toString().substring(0, 8), "bench-password-1")
                .block().token());
        ServiceMemory secondMemory = second == null ? null
                : new ServiceMemory(Long.parseLong(option("second-service-pid")));

        // The client embedded as a library in other JVMs (Netty's defaults), beside this one's (checks off).
        List<EmbeddedClient> embedded = sections.contains("throughput")
                ? EmbeddedClient.start(options, ws, token, window) : List.of();
        embedded.forEach(child -> cpu.watch(child.name(), child.pid()));
        InetSocketAddress service = new InetSocketAddress("127.0.0.1", URI.create(serviceUrl).getPort());
        // Closing the MinIO client stops OkHttp's dispatcher threads, which would keep the JVM alive for a minute.
        try (MinioClient minio = MinioClient.builder().endpoint(option("s3-endpoint"))
                     .credentials(option("s3-access-key"), option("s3-secret-key")).region("us-east-1").build();
             RelayClient client = RelayClient.connect(ws, token);
             RelayClient control = RelayClient.connect(ws, token);
             DelayRelay delay = new DelayRelay(service, ONE_WAY_DELAY);
             RelayClient far = RelayClient.connect(URI.create("ws://127.0.0.1:" + delay.port() + "/rsocket"), token);
             DelayRelay shortDelay = new DelayRelay(service, SHORT_ONE_WAY_DELAY);
             RelayClient near = RelayClient.connect(URI.create("ws://127.0.0.1:" + shortDelay.port() + "/rsocket"),
                     token);
             // The relay itself costs CPU on these shared cores: through it with no delay is the fair 0 ms figure.
             DelayRelay noDelay = new DelayRelay(service, Duration.ZERO);
             RelayClient relayed = RelayClient.connect(URI.create("ws://127.0.0.1:" + noDelay.port() + "/rsocket"),
                     token);
             DelayRelay tusFar = new DelayRelay(hostPort(option("tus-url")), ONE_WAY_DELAY);
             DelayRelay tusNear = new DelayRelay(hostPort(option("tus-url")), SHORT_ONE_WAY_DELAY);
             DelayRelay tusNoDelay = new DelayRelay(hostPort(option("tus-url")), Duration.ZERO);
             AwsUploader aws = sections.contains("throughput") && options.containsKey("aws-cp")
                     ? new AwsUploader(option("aws-cp"), option("s3-endpoint"), option("s3-access-key"),
                     option("s3-secret-key"), Path.of(option("aws-log"))) : null) {
            if (aws != null) {
                cpu.watch(AWS, aws.pid());
            }
            Map<String, Variant> variants = new LinkedHashMap<>();
            if (sections.contains("throughput") || sections.contains("relay")) {
                variants.put("relay@" + window, (f, sha) -> Uploads.relay(client, f, sha));
                if (secondClient != null) {
                    variants.put(second, (f, sha) -> Uploads.relay(secondClient, f, sha));
                }
            }
            if (sections.contains("throughput")) {
                variants.put("direct8", (f, sha) -> Uploads.direct(minio, bucket, f, 8L << 20));
                variants.put("direct16", (f, sha) -> Uploads.direct(minio, bucket, f, 16L << 20));
                variants.put("tus", (f, sha) -> Uploads.tus(Path.of(option("tus-client")), option("tus-url"), f));
                if (aws != null) {
                    variants.put(AWS, (f, sha) -> aws.upload(f, bucket, "aws-8.bin", 8L << 20));
                }
                embedded.forEach(child -> variants.put(child.name(), child::upload));
            }
            if (sections.contains("latency")) {
                variants.put("latency@" + window, (f, sha) -> Uploads.relay(far, f, sha));
                variants.put("latency10@" + window, (f, sha) -> Uploads.relay(near, f, sha));
                variants.put("latency0@" + window, (f, sha) -> Uploads.relay(relayed, f, sha));
            }
            if (sections.contains("latency") && sections.contains("throughput")) {
                Path tusClient = Path.of(option("tus-client"));
                variants.put("tus.rtt40", (f, sha) -> Uploads.tus(tusClient, viaRelay(option("tus-url"), tusFar), f));
                variants.put("tus.rtt10", (f, sha) -> Uploads.tus(tusClient, viaRelay(option("tus-url"), tusNear),
                        f));
                variants.put("tus.rtt0", (f, sha) -> Uploads.tus(tusClient, viaRelay(option("tus-url"), tusNoDelay),
                        f));
            }
            List<String> order = new ArrayList<>(variants.keySet());

            // A freshly started service is measured warm; the memory section measures what is held, not speed.
            boolean viaService = sections.contains("scaling") || sections.contains("browser");
            Map<String, Variant> warm = !variants.isEmpty() ? variants : viaService
                    ? Map.of("relay@" + window, (f, sha) -> Uploads.relay(client, f, sha)) : Map.of();
            if (!warm.isEmpty()) {
                JitActivity jit = new JitActivity().watch("service", Long.parseLong(option("service-pid")))
                        .watch("s3", Long.parseLong(options.getOrDefault("s3-pid", "0")))
                        .watch(SECOND_SERVICE, Long.parseLong(options.getOrDefault("second-service-pid", "0")));
                embedded.forEach(child -> jit.watch(child.name(), child.pid()));
                WarmUp.run(warm, Path.of(option("warmup-file")), Long.parseLong(option("warmup-mib")) << 20,
                        Integer.parseInt(options.getOrDefault("warmup-rounds", String.valueOf(WarmUp.ROUNDS))), 1,
                        jit);
                Uploads.emptyBucket(minio, bucket);
            }

            for (int run = 0; run < runs; run++) {
                // Rotate the order so that no variant always follows the same one (page cache, writeback, GC).
                for (int i = 0; i < order.size(); i++) {
                    String name = order.get((i + run) % order.size());
                    flushDisk();
                    // The memory of the service that takes the upload, under its own name.
                    ServiceMemory watched = name.equals("relay@" + window) ? memory
                            : name.equals(second) ? secondMemory : null;
                    if (watched != null) {
                        watched.resetPeak();
                    }
                    Map<String, Double> cpuBefore = cpu.sample();
                    double seconds = variants.get(name).upload(file, sha256);
                    Map<String, Double> cpuAfter = cpu.sample();
                    if (name.equals(AWS)) {
                        // The SDK's own JVM did this upload: its CPU is the variant's "client" figure.
                        ProcessCpu.swap(cpuBefore, "client", AWS);
                        ProcessCpu.swap(cpuAfter, "client", AWS);
                    }
                    if (name.equals(second)) {
                        // The second service did this upload: its CPU is the variant's "service" figure.
                        ProcessCpu.swap(cpuBefore, "service", SECOND_SERVICE);
                        ProcessCpu.swap(cpuAfter, "service", SECOND_SERVICE);
                    } else if (cpuAfter.containsKey(name)) {
                        // A child JVM's client did this upload: its CPU is the variant's "client" figure.
                        ProcessCpu.swap(cpuBefore, "client", name);
                        ProcessCpu.swap(cpuAfter, "client", name);
                    }
                    ProcessCpu.record(results, name, cpuBefore, cpuAfter, Files.size(file));
                    if (watched != null) {
                        watched.recordInto(results, name.substring("relay@".length()));
                    }
                    double mbps = Files.size(file) / seconds / 1e6;
                    System.out.printf("  run %d/%d  %-14s %8.1f MB/s  (%.2f s)%n", run + 1, runs, name, mbps,
                            seconds);
                    results.add(name, mbps);
                    Uploads.emptyBucket(minio, bucket);
                    results.save();
                }
            }
            if (sections.contains("download")) {
                measureDownloads(client, minio, bucket, file, sha256, runs, service, secondClient, second);
            }
            if (sections.contains("browser")) {
                new BrowserBench(results, options).measure(client, minio, bucket, file, sha256, runs, service);
            }
            if (sections.contains("scaling")) {
                measureScaling(ws, token, file, runs);
            }
            if (sections.contains("memory")) {
                measureMemory(ws, token, file, sha256, memory);
            }
            if (sections.contains("pause")) {
                for (int run = 0; run < runs; run++) {
                    PauseProbe.Outcome o = PauseProbe.run(client, control, file, sha256);
                    System.out.printf(Locale.ROOT, "  pause %d/%d  paused at %.1f MiB: response after %.0f ms, then"
                                    + " %d KiB sent until %.0f ms after it; resume: response after %.0f ms, next byte"
                                    + " after %.0f ms%n", run + 1, runs, o.sentBeforePause() / 1048576.0,
                            o.pauseAckMillis(), o.bytesAfterAck() >> 10, o.lastByteAfterAckMillis(),
                            o.resumeAckMillis(), o.resumeToNextByteMillis());
                    results.add("pause.sentBeforePause", o.sentBeforePause());
                    results.add("pause.ackMillis", o.pauseAckMillis());
                    results.add("pause.bytesAfterAck", o.bytesAfterAck());
                    results.add("pause.lastByteAfterAckMillis", o.lastByteAfterAckMillis());
                    results.add("pause.resumeAckMillis", o.resumeAckMillis());
                    results.add("pause.resumeToNextByteMillis", o.resumeToNextByteMillis());
                    Uploads.emptyBucket(minio, bucket);
                    results.save();
                }
            }
        } finally {
            if (secondClient != null) {
                secondClient.close();
            }
            embedded.forEach(EmbeddedClient::close);
        }
    }

    /**
     * Download throughput through Relay against one direct GET of the same object, then the same through the delay
     * relay (10 and 40 ms round trips), and a download paused by withholding demand.
     */
    private void measureDownloads(RelayClient client, MinioClient minio, String bucket, Path file, String sha256,
                                  int runs, InetSocketAddress service, RelayClient secondClient, String second)
            throws Exception {
        long size = Files.size(file);
        String id = Uploads.relayId(client, file, sha256);
        // The second service (its own database) reads its own copy; measured between the two direct variants.
        String secondId = secondClient == null ? null : Uploads.relayId(secondClient, file, sha256);
        String secondKey = "download." + second;
        String token = option("token");
        Map<String, RelayClient> far = new LinkedHashMap<>();
        List<DelayRelay> relays = new ArrayList<>();
        try {
            for (int oneWayMs : new int[]{0, 5, 20}) {
                DelayRelay delay = new DelayRelay(service, Duration.ofMillis(oneWayMs));
                relays.add(delay);
                far.put("download.rtt" + 2 * oneWayMs, RelayClient.connect(
                        URI.create("ws://127.0.0.1:" + delay.port() + "/rsocket"), token));
            }
            Downloads.relay(client, id, size);
            Downloads.direct(minio, bucket, "files/" + id, size);
            Downloads.parallelRanged(minio, bucket, "files/" + id, size, Downloads.RANGED_GETS);
            if (secondId != null) {
                Downloads.relay(secondClient, secondId, size);
            }
            for (int run = 0; run < runs; run++) {
                double relayMbps = size / Downloads.relay(client, id, size) / 1e6;
                double directMbps = size / Downloads.direct(minio, bucket, "files/" + id, size) / 1e6;
                if (secondId != null) {
                    double secondMbps = size / Downloads.relay(secondClient, secondId, size) / 1e6;
                    results.add(secondKey, secondMbps);
                    System.out.printf(Locale.ROOT, "  download %d/%d  %s %.1f MB/s%n", run + 1, runs, second,
                            secondMbps);
                }
                double rangedMbps = size / Downloads.parallelRanged(minio, bucket, "files/" + id, size,
                        Downloads.RANGED_GETS) / 1e6;
                results.add("download.relay", relayMbps);
                results.add("download.direct", directMbps);
                results.add("download.ranged", rangedMbps);
                System.out.printf(Locale.ROOT, "  download %d/%d  relay %.1f MB/s, direct GET %.1f MB/s, %d ranged"
                        + " GETs %.1f MB/s (relay / ranged %.2f)%n", run + 1, runs, relayMbps, directMbps,
                        Downloads.RANGED_GETS, rangedMbps, relayMbps / rangedMbps);
                for (Map.Entry<String, RelayClient> f : far.entrySet()) {
                    double mbps = size / Downloads.relay(f.getValue(), id, size) / 1e6;
                    results.add(f.getKey(), mbps);
                    System.out.printf(Locale.ROOT, "  download %d/%d  %s %.1f MB/s%n", run + 1, runs, f.getKey(), mbps);
                }
                Downloads.PauseOutcome o = Downloads.pause(client, id, size);
                results.add("download.pause.bytesAfterStop", o.bytesAfterStop());
                results.add("download.pause.lastByteAfterStopMillis", o.lastByteAfterStopMillis());
                results.add("download.pause.resumeToNextByteMillis", o.resumeToNextByteMillis());
                System.out.printf(Locale.ROOT, "  download pause %d/%d  %d KiB after demand stopped (last after %.0f"
                                + " ms); next byte %.0f ms after demand resumed%n", run + 1, runs,
                        o.bytesAfterStop() >> 10, o.lastByteAfterStopMillis(), o.resumeToNextByteMillis());
                results.save();
            }
        } finally {
            far.values().forEach(RelayClient::close);
            relays.forEach(DelayRelay::close);
            Uploads.emptyBucket(minio, bucket);
        }
    }

    /** Aggregate throughput of 1, 4, 16 and 64 uploads at once; the total stays the size of the test file. */
    private void measureScaling(URI ws, String token, Path file, int runs) throws Exception {
        long size = Files.size(file);
        for (int n : SCALING) {
            long each = Math.max(4L << 20, size / n);
            Path slice = file.resolveSibling("slice-" + n + ".bin");
            try (var in = Files.newInputStream(file); var out = Files.newOutputStream(slice)) {
                out.write(in.readNBytes((int) each));
            }
            String sha = FileTransfers.sha256(slice);
            for (int run = 0; run < runs; run++) {
                flushDisk();
                double mbps = Concurrent.throughput(ws, token, slice, sha, n);
                results.add("scaling." + n, mbps);
                System.out.printf(Locale.ROOT, "  scaling %d/%d  %2d uploads of %d MiB at once: %.1f MB/s%n",
                        run + 1, runs, n, each >> 20, mbps);
                results.save();
            }
            Files.delete(slice);
        }
    }

    /**
     * Live heap per active upload (1, 16, 64 at once), per paused upload (1,000 at once), for many uploads opened at
     * once (1,000: more than the buffer budget lets receive) and per idle connection (10,000).
     */
    private void measureMemory(URI ws, String token, Path file, String sha256, ServiceMemory memory)
            throws Exception {
        for (int n : new int[]{1, 16, 64}) {
            double perUpload = Concurrent.memoryPerActive(ws, token, file, sha256, n, memory, results);
            results.add("memory.perActiveMiB." + n, perUpload);
            System.out.printf(Locale.ROOT, "  memory  %d active uploads: %.1f MiB live heap each%n", n, perUpload);
            results.save();
        }
        int paused = Integer.parseInt(options.getOrDefault("paused-uploads", "1000"));
        double perPaused = Concurrent.memoryPerPaused(ws, token, file, sha256, paused, 20, memory, results);
        results.add("memory.perPausedKiB", perPaused);
        System.out.printf(Locale.ROOT, "  memory  %d paused uploads: %.1f KiB live heap each%n", paused, perPaused);
        results.save();
        int open = Integer.parseInt(options.getOrDefault("open-uploads", "1000"));
        double perOpen = Capacity.uploadsAtOnce(ws, token, file, sha256, open, memory, results);
        System.out.printf(Locale.ROOT, "  memory  %d uploads at once: %.0f receiving, %.2f MiB live heap each%n",
                open, results.median("capacity.open" + open + ".receiving"), perOpen);
        results.save();
        int idle = Integer.parseInt(options.getOrDefault("idle-connections", "10000"));
        double perIdle = Capacity.idleConnections(ws, token, idle, memory, results);
        System.out.printf(Locale.ROOT, "  memory  %d idle connections with event streams: %.1f KiB live heap each%n",
                idle, perIdle);
        results.save();
    }

    /** Writes back what earlier uploads left in the page cache, so that their writeback does not slow this one. */
    static void flushDisk() throws IOException, InterruptedException {
        new ProcessBuilder("sync").inheritIO().start().waitFor();
    }

    private static InetSocketAddress hostPort(String url) {
        URI uri = URI.create(url);
        return new InetSocketAddress(uri.getHost(), uri.getPort());
    }

    private static String viaRelay(String url, DelayRelay relay) {
        URI uri = URI.create(url);
        return uri.getScheme() + "://" + uri.getHost() + ":" + relay.port() + uri.getPath();
    }

    private String option(String name) {
        String value = options.get(name);
        if (value == null) {
            throw new IllegalArgumentException("Missing option --" + name);
        }
        return value;
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 1; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("Expected --name value at " + args[i]);
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        return options;
    }

    @FunctionalInterface
    interface Variant {
        /** Uploads {@code file} once; returns the seconds it took. */
        double upload(Path file, String sha256) throws Exception;
    }
}
