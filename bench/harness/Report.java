import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Medians and ratios of a run, as markdown: printed, and written to {@code --out}. Options: {@code --out},
 * {@code --size-mib}, {@code --runs}, {@code --windows} (credit windows measured, the first is the default),
 * {@code --setup} (one line describing the servers), {@code --latency} (how latency was added),
 * {@code --service-log} (the service's warnings, counted).
 */
final class Report {

    private final Results results;
    private final Map<String, String> options;
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
        Files.writeString(file, report.out);
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

        line("");
        line("### 1–3. Upload throughput, all against the same S3 server");
        line("| variant | MB/s | runs |");
        line("|---|---:|---|");
        row("1. Relay: Java client → RSocket/WebSocket → service → S3 (window " + windows[0] + ")", relay);
        row("2a. Direct: MinIO SDK putObject, 8 MiB parts", "direct8");
        row("2b. Direct: MinIO SDK putObject, 16 MiB parts", "direct16");
        row("3. Peer: tus-js-client → @tus/server + @tus/s3-store (one PATCH, 8 MiB parts)", "tus");
        line("");
        double ours = results.median(relay);
        double best = Math.max(results.median("direct8"), results.median("direct16"));
        line("| ratio | value |");
        line("|---|---:|");
        line("| Relay / best direct | %s |", ratio(ours, best));
        line("| Relay / direct with the same 8 MiB parts | %s |", ratio(ours, results.median("direct8")));
        line("| Relay / tus | %s |", ratio(ours, results.median("tus")));

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

        line("");
        line("### 5. Service memory during one upload (/proc/PID/status, MiB)");
        line("| what | max | runs |");
        line("|---|---:|---|");
        for (String window : windows) {
            memoryRow("peak RSS (VmHWM) during the upload, window " + window, "rss.peak@" + window);
            memoryRow("RSS before the upload, window " + window, "rss.before@" + window);
            memoryRow("RSS after the upload, window " + window, "rss.after@" + window);
        }

        line("");
        line("### 6. Latency: 20 ms each way between client and service");
        line("%s", options.get("latency"));
        line("");
        line("| credit window | MB/s without | MB/s with latency | with / without (target ≥ 0.8) |");
        line("|---|---:|---:|---:|");
        for (String window : windows) {
            double without = results.median("relay@" + window);
            double with = results.median("latency@" + window);
            line("| %s | %s | %s | %s |", window, number(without), number(with), ratio(with, without));
        }

        line("");
        line("### Service log: WARN and ERROR lines (count, level, message)");
        line("```");
        line("%s", options.get("service-log"));
        line("```");
    }

    private void row(String label, String key) {
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

    private static String ratio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) ? "n/a" : String.format(Locale.ROOT, "%.2f", a / b);
    }

    private static String number(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String list(double[] runs, int decimals) {
        return Arrays.stream(runs).mapToObj(v -> String.format(Locale.ROOT, "%." + decimals + "f", v))
                .collect(Collectors.joining(", "));
    }

    private void line(String format, Object... args) {
        out.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}
