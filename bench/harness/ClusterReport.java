import java.util.Arrays;
import java.util.List;

/** Section 10 of the report: two nodes behind HAProxy, beside one node, in the same runs ({@link Cluster}). */
final class ClusterReport {

    private final Report report;

    ClusterReport(Report report) {
        this.report = report;
    }

    void render() {
        report.line("");
        report.line("### 10. Cluster: two nodes behind HAProxy");
        report.line("%s", report.options.get("cluster-setup"));
        if (report.measured(Cluster.DIRECT, Cluster.HAPROXY_ONE, Cluster.HAPROXY_TWO)) {
            report.line("");
            report.line("Upload throughput: %s uploads of the %s MiB file at once, each on a connection of its own; aggregate"
                            + " MB/s = all bytes / wall time. Every process (client, nodes, HAProxy, S3Proxy, MariaDB,"
                            + " Redis) shares the same 2 cores, which bound what a second node can add.",
                    Report.number0(report.results.median("cluster.uploads")), Report.number0(report.results.median("cluster.uploadMiB")));
            report.line("");
            report.line("| variant | aggregate MB/s | runs | connections per node (A + B) |");
            report.line("|---|---:|---|---|");
            clusterRow("one node (A), directly", Cluster.DIRECT, Report.number0(report.results.median("cluster.uploads")) + " + 0");
            clusterRow("HAProxy (deploy/haproxy.cfg) → node A alone", Cluster.HAPROXY_ONE,
                    connections("haproxy-one", "node1") + " + 0");
            clusterRow("HAProxy (deploy/haproxy.cfg) → nodes A and B, round robin", Cluster.HAPROXY_TWO,
                    connections("haproxy-two", "node1") + " + " + connections("haproxy-two", "node2"));
            report.line("");
            report.line("| ratio | of the medians | within each run |");
            report.line("|---|---:|---|");
            report.line("| **two nodes through HAProxy / one node directly** | **%s** | %s |",
                    Report.ratio(report.results.median(Cluster.HAPROXY_TWO), report.results.median(Cluster.DIRECT)),
                    report.perRun(Cluster.HAPROXY_TWO, Cluster.DIRECT));
            report.line("| two nodes / one node, both through HAProxy | %s | %s |",
                    Report.ratio(report.results.median(Cluster.HAPROXY_TWO), report.results.median(Cluster.HAPROXY_ONE)),
                    report.perRun(Cluster.HAPROXY_TWO, Cluster.HAPROXY_ONE));
            report.line("| HAProxy → one node / one node directly (HAProxy's cost) | %s | %s |",
                    Report.ratio(report.results.median(Cluster.HAPROXY_ONE), report.results.median(Cluster.DIRECT)),
                    report.perRun(Cluster.HAPROXY_ONE, Cluster.DIRECT));
            report.line("");
            report.line("CPU seconds per GiB uploaded, by process (median):");
            report.line("");
            report.line("| variant | client | node A | node B | S3 server | HAProxy | total |");
            report.line("|---|---:|---:|---:|---:|---:|---:|");
            clusterCpuRow("one node, directly", Cluster.DIRECT);
            clusterCpuRow("HAProxy → node A alone", Cluster.HAPROXY_ONE);
            clusterCpuRow("HAProxy → nodes A and B", Cluster.HAPROXY_TWO);
        }
        if (report.measured("cluster.pause.other.ackMillis")) {
            report.line("");
            report.line("Pause: an upload written to node A on a direct connection, capped at %s MB/s, paused once %d MiB"
                            + " went out, on a second connection of the same user to A itself or to B (which writes"
                            + " the row and passes the pause to A through Redis); %d pauses through each per run,"
                            + " alternately. Silence = no byte for %d ms.",
                    Report.number0(Cluster.PAUSE_RATE / 1e6), Cluster.PAUSE_AFTER >> 20, Cluster.PAUSES_PER_RUN,
                    PauseProbe.SILENCE.toMillis());
            report.line("");
            report.line("| what | through A (holds the upload): median | max | through B (the other node): median | max |");
            report.line("|---|---:|---:|---:|---:|");
            pauseComparison("pause request → response, ms", "ackMillis", 1);
            pauseComparison("bytes the client sent after the response, KiB", "bytesAfterAck", 1 << 10);
            pauseComparison("response → last byte sent, ms", "lastByteAfterAckMillis", 1);
            report.line("| pauses after whose response bytes still went out | %s | | %s | |", afterAck("same"),
                    afterAck("other"));
        }
        if (report.measured("cluster.chat.other")) {
            report.line("");
            report.line("Chat: a user on node A sends text messages one at a time, alternately to a user whose event stream"
                    + " is on node B and to one whose stream is on A (in a cluster both events go through Redis"
                    + " pub/sub: the first to the other JVM); from the start of the send call to the event's arrival"
                    + " on the stream.");
            report.line("");
            report.line("| recipient's event stream | messages | p50 ms | p99 ms | max ms |");
            report.line("|---|---:|---:|---:|---:|");
            percentileRow("on the other node (A → B)", "cluster.chat.other");
            percentileRow("on the same node (A → A)", "cluster.chat.same");
            percentileRow("(the send call's response, both)", "cluster.chat.send");
        }
        if (report.measured("cluster.kill.offlineSeconds")) {
            report.line("");
            report.line("Killed node: a user connected only to node A (from the second run on, a node started for it) is"
                    + " seen online by a user on node B; the node is SIGKILLed. Nobody announces a killed node's users:"
                    + " B finds its heartbeat (a key living 6 s, renewed every 2 s) expired at its own beat (every 2"
                    + " s), so 4 to 8 s after the kill, and announces them offline.");
            report.line("");
            report.line("| what | median | runs |");
            report.line("|---|---:|---|");
            report.line("| SIGKILL → PRESENCE offline event on B, s | %s | %s |",
                    Report.number2(report.results.median("cluster.kill.offlineSeconds")),
                    Report.list(report.results.runs("cluster.kill.offlineSeconds"), 2));
            report.line("| connect to the node → PRESENCE online event on B, ms (a fresh node after the first run) | %s | %s |",
                    Report.number(report.results.median("cluster.kill.onlineMillis")),
                    Report.list(report.results.runs("cluster.kill.onlineMillis"), 1));
        }
    }

    private void clusterRow(String label, String key, String connections) {
        if (!report.measured(key)) {
            return;
        }
        report.line("| %s | %s | %s | %s |", label, Report.number(report.results.median(key)), Report.list(report.results.runs(key), 1), connections);
    }

    /** The median number of the variant's connections that HAProxy sent to {@code server} (node1 = A). */
    private String connections(String variant, String server) {
        return Report.number0(report.results.median("cluster." + variant + ".connections." + server));
    }

    private void clusterCpuRow(String label, String variant) {
        if (!report.measured(variant)) {
            return;
        }
        double total = 0;
        StringBuilder cells = new StringBuilder();
        for (String process : new String[]{"client", "node-a", "node-b", "s3", "haproxy"}) {
            // Both HAProxy processes are watched; the variant used one of them (or none).
            double seconds = process.equals("haproxy")
                    ? report.results.median("cpu.haproxy-one." + variant) + report.results.median("cpu.haproxy-two." + variant)
                    : report.results.median("cpu." + process + "." + variant);
            cells.append(" | ").append(Report.number2(seconds));
            total += Double.isNaN(seconds) ? 0 : seconds;
        }
        report.line("| %s%s | %s |", label, cells, Report.number2(total));
    }

    private void pauseComparison(String label, String key, double unit) {
        double[] same = Arrays.stream(report.results.runs("cluster.pause.same." + key)).map(v -> v / unit).toArray();
        double[] other = Arrays.stream(report.results.runs("cluster.pause.other." + key)).map(v -> v / unit).toArray();
        report.line("| %s | %s | %s | %s | %s |", label, Report.number(report.results.median("cluster.pause.same." + key) / unit),
                Report.number(Arrays.stream(same).max().orElse(Double.NaN)),
                Report.number(report.results.median("cluster.pause.other." + key) / unit),
                Report.number(Arrays.stream(other).max().orElse(Double.NaN)));
    }

    /** How many of the pauses through {@code path} ("same" or "other") were followed by bytes, of how many. */
    private String afterAck(String path) {
        double[] bytes = report.results.runs("cluster.pause." + path + ".bytesAfterAck");
        return Arrays.stream(bytes).filter(b -> b > 0).count() + " of " + bytes.length;
    }

    private void percentileRow(String label, String key) {
        List<Double> values = Arrays.stream(report.results.runs(key)).boxed().toList();
        report.line("| %s | %d | %s | %s | %s |", label, values.size(), Report.number(Cluster.percentile(values, 0.5)),
                Report.number(Cluster.percentile(values, 0.99)), Report.number(Cluster.percentile(values, 1.0)));
    }
}
