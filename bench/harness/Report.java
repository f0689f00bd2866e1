import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Medians and ratios of a run, as markdown: printed, and written to {@code --out}. Options: {@code --out},
 * {@code --size-mib}, {@code --runs}, {@code --windows} (credit windows measured, the first is the default),
 * {@code --setup} (one line describing the servers), {@code --latency} (how latency was added),
 * {@code --service-log} (the service's warnings, counted); for a second service measured in the same runs as the
 * first (row 1b): {@code --second-label} (its name), {@code --second-what} (its jar and properties),
 * {@code --second-other-jar} (true if it runs another build: the ratio is then this build / that one, else that
 * variant / the defaults) and {@code --second-parts-mib} (its part size, if one of the direct uploads'); for the
 * cluster section {@code --cluster-setup} (its nodes, HAProxy and Redis); for the chat section {@code --chat-setup}
 * (its service's properties, the database); for the browser section
 * {@code --chromium-version}; {@code --before-client-what} names the other build's client of row 1c. Sections without
 * figures (not measured) are
 * left out.
 */
final class Report {

    final Results results;
    final Map<String, String> options;
    private final StringBuilder out = new StringBuilder();

    private Report(Results results, Map<String, String> options) {
        this.results = results;
        this.options = options;
    }

    static void write(Results results, Map<String, String> options) throws IOException {
        Report report = new Report(results, options);
        report.render();
        System.out.print(report.out);
        Path file = Path.of(options.get("out"));
        Files.createDirectories(file.toAbsolutePath().getParent());
        String commentary = options.get("commentary");
        Files.writeString(file, report.out + (commentary == null ? "" : "\n" + Files.readString(Path.of(commentary))));
        double[] scaling = Arrays.stream(Bench.SCALING).mapToDouble(n -> results.median("scaling." + n)).toArray();
        if (Arrays.stream(scaling).anyMatch(v -> !Double.isNaN(v))) {
            Plot.scaling(file.resolveSibling(options.getOrDefault("plot-name", "scaling.png")),
                    "Relay: aggregate upload throughput", Bench.SCALING, scaling);
        }
    }

    private void render() {
        String[] windows = options.get("windows").split(",");
        String relay = "relay@" + windows[0];
        line("## Relay benchmark: %s MiB random file, median of %s run(s)", options.get("size-mib"),
                options.get("runs"));
        line("");
        line("%s", options.get("setup"));
        line("MB/s = 10^6 bytes/s. Compare ratios, not absolute figures: this machine is shared and they swing "
                + "between runs.");

        // Sections that were not measured (bench/run.sh's BENCH_SECTIONS) are left out.
        String label = options.get("second-label");
        String second = label == null ? null : "relay@" + label;
        if (measured(relay, second, "direct8", "direct16", "tus")) {
            throughput(windows[0], relay, label, second);
        }

        if (measured("pause.ackMillis")) {
            line("");
            line("### 4. Pause from a second connection at ~20 %% sent, then resume");
            line("| what | median | runs |");
            line("|---|---:|---|");
            pauseRow("bytes sent before the pause request", "pause.sentBeforePause", 1 << 20, "MiB");
            pauseRow("pause request → response", "pause.ackMillis", 1, "ms");
            pauseRow("bytes the client sent after the pause response", "pause.bytesAfterAck", 1 << 10, "KiB");
            pauseRow("response → last byte sent (silence = no byte for " + PauseProbe.SILENCE.toMillis() + " ms)",
                    "pause.lastByteAfterAckMillis", 1, "ms");
            pauseRow("resume request → response", "pause.resumeAckMillis", 1, "ms");
            pauseRow("resume request → next byte sent", "pause.resumeToNextByteMillis", 1, "ms");
        }

        List<String> services = new ArrayList<>(List.of(windows));
        if (label != null) {
            services.add(1, label);
        }
        services.removeIf(service -> !measured("rss.peak@" + service));
        if (!services.isEmpty()) {
            line("");
            line("### 5. Service memory during one upload (/proc/PID/status, MiB)");
            line("| what | max | runs |");
            line("|---|---:|---|");
            for (String service : services) {
                String name = service.equals(label) ? "service " + label : "window " + service;
                memoryRow("peak RSS (VmHWM) during the upload, " + name, "rss.peak@" + service);
                memoryRow("RSS before the upload, " + name, "rss.before@" + service);
                memoryRow("RSS after the upload, " + name, "rss.after@" + service);
            }
        }

        if (measured("download.relay")) {
            line("");
            line("### 6. Download throughput, same S3 server");
            line("| variant | MB/s | runs |");
            line("|---|---:|---|");
            row("Relay: files.{id}.read, demand-driven ranged read", "download.relay");
            row("Direct: one GET of the object with the MinIO SDK", "download.direct");
            row("Direct: four ranged GETs of a quarter each at once (MinIO SDK)", "download.ranged");
            String secondDownload = second == null ? null : "download." + second;
            boolean hasSecond = secondDownload != null && measured(secondDownload);
            if (hasSecond) {
                row("Relay, " + label + ": " + options.get("second-what") + " (a second service, same runs)",
                        secondDownload);
            }
            line("");
            if (hasSecond) {
                line("This build / %s: **%s** (within each run: %s); %s / four ranged GETs: %s", label,
                        ratio(results.median("download.relay"), results.median(secondDownload)),
                        perRun("download.relay", secondDownload), label,
                        ratio(results.median(secondDownload), results.median("download.ranged")));
                line("");
            }
            line("Relay / direct GET: **%s**; Relay / four ranged GETs: **%s** (within each run: %s)",
                    ratio(results.median("download.relay"), results.median("download.direct")),
                    ratio(results.median("download.relay"), results.median("download.ranged")),
                    perRun("download.relay", "download.ranged"));
            line("");
            line("Download paused by withholding demand at ~20 %% (the client stops requesting; it had requested 16 "
                    + "chunks at a time):");
            line("| what | median | runs |");
            line("|---|---:|---|");
            pauseRow("bytes received after demand stopped", "download.pause.bytesAfterStop", 1 << 10, "KiB");
            pauseRow("demand stopped → last byte", "download.pause.lastByteAfterStopMillis", 1, "ms");
            pauseRow("demand resumed → next byte", "download.pause.resumeToNextByteMillis", 1, "ms");
        }

        List<String[]> latencyRows = new ArrayList<>();
        for (String window : windows) {
            latencyRows.add(new String[]{"Relay upload, window " + window, "relay@" + window, "latency0@" + window,
                    "latency10@" + window, "latency@" + window});
        }
        latencyRows.add(new String[]{"Relay download", "download.relay", "download.rtt0", "download.rtt10",
                "download.rtt40"});
        latencyRows.add(new String[]{"tus upload (peer)", "tus", "tus.rtt0", "tus.rtt10", "tus.rtt40"});
        latencyRows.removeIf(r -> !measured(r[2], r[3], r[4]));
        if (!latencyRows.isEmpty()) {
            line("");
            line("### 7. Latency: 10 and 40 ms round trips between client and server");
            line("%s", options.get("latency"));
            line("");
            line("Every round trip is added by the delay relay, which copies every byte in the client's process: the"
                    + " relay with no delay is the 0 ms figure the ratios use (without it: the first column).");
            line("");
            line("| transfer | MB/s direct | 0 ms (relay) | 10 ms | 40 ms | 10 ms / 0 | 40 ms / 0 (target ≥ 0.8) |"
                    + " 40 ms / 0 within each run | 40 ms / direct |");
            line("|---|---:|---:|---:|---:|---:|---:|---|---:|");
            for (String[] r : latencyRows) {
                latencyRow(r[0], r[1], r[2], r[3], r[4]);
            }
            if (latencyRows.stream().anyMatch(r -> !measured(r[1]))) {
                line("");
                line("n/a under \"MB/s direct\": that figure (without the delay relay) comes from the throughput or"
                        + " download section, which was not measured.");
            }
        }

        if (measured(Arrays.stream(Bench.SCALING).mapToObj(n -> "scaling." + n).toArray(String[]::new))) {
            line("");
            line("### 8. Scaling: aggregate upload throughput with concurrent uploads");
            line("Each upload on its own connection; the uploads share the test file's size between them (at least 4"
                    + " MiB each). Plot: [%s](%s).", options.getOrDefault("plot-name", "scaling.png"),
                    options.getOrDefault("plot-name", "scaling.png"));
            line("");
            line("| concurrent uploads | aggregate MB/s | runs |");
            line("|---:|---:|---|");
            for (int n : Bench.SCALING) {
                line("| %d | %s | %s |", n, number(results.median("scaling." + n)),
                        list(results.runs("scaling." + n), 1));
            }
            line("");
            line("![aggregate throughput](%s)", options.getOrDefault("plot-name", "scaling.png"));
        }

        new MemoryReport(this).render();

        if (measured(Cluster.DIRECT, Cluster.HAPROXY_ONE, Cluster.HAPROXY_TWO, "cluster.pause.other.ackMillis",
                "cluster.chat.other", "cluster.kill.offlineSeconds")) {
            new ClusterReport(this).render();
        }

        if (measured("browser.app", "browser.app-read")) {
            new BrowserReport(this).render();
        }

        if (measured("chat.users")) {
            new ChatReport(this).render();
        }

        line("");
        line("### Service log: WARN and ERROR lines (count, level, message)");
        line("```");
        line("%s", options.get("service-log"));
        line("```");
    }

    /**
     * Sections 1–3: the service with the defaults ({@code relay}), the second service measured in the same runs
     * ({@code second}, named {@code label}; null if there was none), the direct uploads and tus.
     */
    private void throughput(String window, String relay, String label, String second) {
        line("");
        line("### 1–3. Upload throughput, all against the same S3 server");
        line("| variant | MB/s | runs |");
        line("|---|---:|---|");
        row("1. Relay: Java client → RSocket/WebSocket → service → S3 (window " + window
                + ", 16 MiB parts, 32 MiB part size)", relay);
        boolean hasSecond = second != null && measured(second);
        String name = "Relay " + label;
        if (hasSecond) {
            row("1b. " + name + ": " + options.get("second-what") + " (a second service, in the same runs)", second);
        }
        row("2a. Direct: MinIO SDK putObject, 8 MiB parts", "direct8");
        row("2b. Direct: MinIO SDK putObject, 16 MiB parts", "direct16");
        if (measured(Bench.AWS)) {
            row("2c. Direct: AWS SDK v2 multipart client, 8 MiB parts sent several at once", Bench.AWS);
        }
        row("3. Peer: tus-js-client → @tus/server + @tus/s3-store (one PATCH, 8 MiB parts)", "tus");
        line("");
        double ours = results.median(relay);
        String[] direct = measured(Bench.AWS) ? new String[]{"direct8", "direct16", Bench.AWS}
                : new String[]{"direct8", "direct16"};
        double best = Arrays.stream(direct).mapToDouble(results::median).max().orElse(Double.NaN);
        // Each run takes every variant once, minutes apart: the ratio within a run compares like with like.
        line("| ratio | of the medians | within each run |");
        line("|---|---:|---|");
        line("| Relay / best direct | %s | %s |", ratio(ours, best), perRun(relay, direct));
        if (measured(Bench.AWS)) {
            line("| Relay / AWS SDK multipart (parallel parts) | %s | %s |", ratio(ours, results.median(Bench.AWS)),
                    perRun(relay, Bench.AWS));
        }
        line("| Relay / direct with the same 16 MiB parts | %s | %s |", ratio(ours, results.median("direct16")),
                perRun(relay, "direct16"));
        line("| Relay / tus | %s | %s |", ratio(ours, results.median("tus")), perRun(relay, "tus"));
        if (hasSecond) {
            double theirs = results.median(second);
            line("| %s / best direct | %s | %s |", name, ratio(theirs, best), perRun(second, direct));
            String parts = options.get("second-parts-mib");
            if (parts != null) {
                line("| %s / direct with the same %s MiB parts | %s | %s |", name, parts,
                        ratio(theirs, results.median("direct" + parts)), perRun(second, "direct" + parts));
            }
            line("| %s / tus | %s | %s |", name, ratio(theirs, results.median("tus")), perRun(second, "tus"));
            // Another build is the baseline of this one; another configuration is compared with the defaults.
            if (Boolean.parseBoolean(options.get("second-other-jar"))) {
                line("| **Relay / %s** (this build / the other jar) | **%s** | %s |", name, ratio(ours, theirs),
                        perRun(relay, second));
            } else {
                line("| **%s / Relay** (%s / the defaults) | **%s** | %s |", name, label, ratio(theirs, ours),
                        perRun(second, relay));
            }
        }
        line("");
        line("CPU seconds per GiB uploaded, by process (median; the client is the harness JVM, for tus its Node"
                + " child, for the AWS SDK its own JVM). With every process on the same 2 cores, a variant's speed"
                + " follows its total:");
        line("");
        line("| variant | client | service | S3 server | tus server | total |");
        line("|---|---:|---:|---:|---:|---:|");
        cpuRow("Relay (16 MiB parts)", relay);
        if (hasSecond) {
            cpuRow(name, second);
        }
        cpuRow("Direct, 8 MiB parts", "direct8");
        cpuRow("Direct, 16 MiB parts", "direct16");
        if (measured(Bench.AWS)) {
            cpuRow("Direct, AWS SDK (client: its JVM)", Bench.AWS);
        }
        cpuRow("tus", "tus");
        embedded(window, relay);
    }

    /**
     * Row 1c: the client embedded as a library (a plain JVM, Netty's default buffer checks) against the same in a
     * JVM whose main() turns them off (as the relay CLI's), and another build's client both ways when it was given.
     */
    private void embedded(String window, String relay) {
        String ours = "embedded@" + window;
        String relaxed = "relaxed@" + window;
        String before = "before-embedded@" + window;
        String beforeRelaxed = "before-relaxed@" + window;
        if (!measured(ours)) {
            return;
        }
        line("");
        line("### 1c. The Java client embedded as a library: Netty's default buffer checks, and off as in the CLI");
        line("Each client is a child JVM of the harness, started once and kept running, uploading in turn with the"
                + " other variants to row 1's service: embedded with Netty's defaults, or with its per-access buffer"
                + " checks turned off in main() as the relay CLI does. Row 1's client (the harness JVM, checks off)"
                + " for reference; the client's CPU is that JVM's, JIT and GC included.");
        line("");
        line("| client | MB/s | client CPU s/GiB | runs |");
        line("|---|---:|---:|---|");
        clientRow("row 1: the harness JVM, checks off", relay);
        clientRow("this build, checks off (as the CLI)", relaxed);
        clientRow("this build, embedded (Netty's defaults)", ours);
        String jar = options.getOrDefault("before-client-what", "another build");
        clientRow("before: " + jar + ", checks off", beforeRelaxed);
        clientRow("before: " + jar + ", embedded (Netty's defaults)", before);
        line("");
        line("| ratio | of the medians | within each run |");
        line("|---|---:|---|");
        line("| **embedded / checks off, this build** | **%s** | %s |", ratio(results.median(ours),
                results.median(relaxed)), perRun(ours, relaxed));
        if (measured(before, beforeRelaxed)) {
            line("| embedded / checks off, before | %s | %s |", ratio(results.median(before),
                    results.median(beforeRelaxed)), perRun(before, beforeRelaxed));
            line("| embedded: this build / before | %s | %s |", ratio(results.median(ours), results.median(before)),
                    perRun(ours, before));
        }
    }

    private void clientRow(String label, String key) {
        if (measured(key)) {
            line("| %s | %s | %s | %s |", label, number(results.median(key)),
                    number2(results.median("cpu.client." + key)), list(results.runs(key), 1));
        }
    }

    /** Whether any of {@code keys} has figures (null keys have none). */
    boolean measured(String... keys) {
        return Arrays.stream(keys).anyMatch(key -> key != null && results.runs(key).length > 0);
    }

    private void latencyRow(String label, String direct, String zero, String ten, String forty) {
        double d = results.median(direct);
        double z = results.median(zero);
        double t = results.median(ten);
        double f = results.median(forty);
        line("| %s | %s | %s | %s | %s | %s | %s | %s | %s |", label, number(d), number(z), number(t), number(f),
                ratio(t, z), ratio(f, z), perRun(forty, zero), ratio(f, d));
    }

    private void cpuRow(String label, String variant) {
        if (!measured(variant)) {
            return;
        }
        double total = 0;
        StringBuilder cells = new StringBuilder();
        for (String process : new String[]{"client", "service", "s3", "tus"}) {
            double seconds = results.median("cpu." + process + "." + variant);
            cells.append(" | ").append(number2(seconds));
            total += Double.isNaN(seconds) ? 0 : seconds;
        }
        line("| %s%s | %s |", label, cells, number2(total));
    }

    private void row(String label, String key) {
        if (!measured(key)) {
            return;
        }
        line("| %s | %s | %s |", label, number(results.median(key)), list(results.runs(key), 1));
    }

    private void pauseRow(String label, String key, double unit, String unitName) {
        double[] runs = Arrays.stream(results.runs(key)).map(v -> v / unit).toArray();
        line("| %s | %s %s | %s |", label, number(results.median(key) / unit), unitName, list(runs, 1));
    }

    private void memoryRow(String label, String key) {
        double[] runs = results.runs(key);
        double max = Arrays.stream(runs).max().orElse(Double.NaN);
        line("| %s | %s | %s |", label, number(max), list(runs, 0));
    }

    /** Run i of {@code key} over the best of run i of {@code others}, for every run all of them have. */
    String perRun(String key, String... others) {
        double[] ours = results.runs(key);
        List<String> ratios = new ArrayList<>();
        for (int i = 0; i < ours.length; i++) {
            double best = Double.NaN;
            for (String other : others) {
                double[] theirs = results.runs(other);
                if (i < theirs.length) {
                    best = Double.isNaN(best) ? theirs[i] : Math.max(best, theirs[i]);
                }
            }
            ratios.add(ratio(ours[i], best));
        }
        return String.join(", ", ratios);
    }

    static String ratio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) ? "n/a" : String.format(Locale.ROOT, "%.2f", a / b);
    }

    static String number2(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f", v);
    }

    static String number0(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.0f", v);
    }

    static String number(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.1f", v);
    }

    static String list(double[] runs, int decimals) {
        return Arrays.stream(runs).mapToObj(v -> String.format(Locale.ROOT, "%." + decimals + "f", v))
                .collect(Collectors.joining(", "));
    }

    void line(String format, Object... args) {
        out.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}
