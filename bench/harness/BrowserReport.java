import java.util.Arrays;

/** The browser section of the report ({@link BrowserBench}'s figures), written into {@link Report}'s output. */
final class BrowserReport {

    private final Report report;

    BrowserReport(Report report) {
        this.report = report;
    }

    void render() {
        Results results = report.results;
        report.line("");
        report.line("### 11. Browser: Chromium uploading and downloading the same file");
        report.line("Debian's Chromium%s, headless, driven by playwright-core (bench/browser/run.mjs), one page per"
                + " origin kept open for the whole run; the file is chosen in a file input, as a user would. The app's"
                + " upload is its own code (store.uploads.send: UploadController over rsocket-js) with the"
                + " conversation open; its download is the in-app files.{id}.read into a Blob. 40 ms: 20 ms each way"
                + " through the delay relay of section 7, for the page, its WebSocket and HTTP alike (the 0 ms figures"
                + " are direct). In the same runs, in rotating order.", report.options.containsKey("chromium-version")
                ? " " + report.options.get("chromium-version") : "");
        report.line("");
        report.line("| transfer | 0 ms MB/s | runs | 40 ms MB/s | runs | 40 ms / 0 (target ≥ 0.8) |"
                + " long tasks > 50 ms at 0 / 40 ms (most in a run; longest) |");
        report.line("|---|---:|---|---:|---|---:|---|");
        row("App upload: rsocket-js request-channel, one 256 KiB chunk per credit", "app");
        row("Plain XHR PUT of the File to a local sink (no service, no S3)", "xhr");
        row("tus-js-client → @tus/server + @tus/s3-store (one PATCH)", "tus");
        row("Java client through the same service (for comparison)", "java");
        row("Plain WebSocket to a local sink: the File's 256 KiB slices as Blob messages, 16 unacknowledged", "ws");
        row("App download: files.{id}.read, demand-driven, into a Blob", "app-read");
        row("HTTP download link into Chromium's download manager", "link");
        row("Plain fetch() of GET /api/files/{id}/content, read to the end", "fetch");
        row("Plain WebSocket from a local sink: the file as 256 KiB messages, as fast as they go", "ws-read");
        if (report.measured("browser.creditHeld.app")) {
            report.line("");
            report.line("The app's upload held credit it had not used yet (its own part of the turnaround; the rest"
                    + " is the server's and the network's) for %s of its time at 0 ms (runs: %s) and %s at 40 ms"
                    + " (runs: %s).", percent(results.median("browser.creditHeld.app")),
                    percents(results.runs("browser.creditHeld.app")),
                    percent(results.median("browser.creditHeld.app.rtt40")),
                    percents(results.runs("browser.creditHeld.app.rtt40")));
        }
        report.line("");
        report.line("| ratio | target | 0 ms | within each run | 40 ms | within each run |");
        report.line("|---|---:|---:|---|---:|---|");
        ratio("App upload / Java client", "≥ 0.8", "app", "java");
        ratio("App upload / tus-js-client", "≥ 1.1", "app", "tus");
        ratio("App upload / plain XHR PUT", "", "app", "xhr");
        ratio("App upload / plain WebSocket", "", "app", "ws");
        ratio("Plain WebSocket / Java client (a ceiling for a client on Chromium's WebSocket)", "", "ws", "java");
        ratio("App download / plain fetch()", "≥ 0.8", "app-read", "fetch");
        ratio("HTTP link / plain fetch()", "", "link", "fetch");
        ratio("App download / plain WebSocket", "", "app-read", "ws-read");
        ratio("Chromium's plain WebSocket download / plain fetch()", "", "ws-read", "fetch");
    }

    private static String percent(double share) {
        return Double.isNaN(share) ? "n/a" : Report.number0(100 * share) + " %";
    }

    private static String percents(double[] shares) {
        return String.join(", ", Arrays.stream(shares).mapToObj(BrowserReport::percent).toList());
    }

    private void row(String label, String variant) {
        Results results = report.results;
        String key = "browser." + variant;
        String far = key + ".rtt40";
        if (!report.measured(key, far)) {
            return;
        }
        report.line("| %s | %s | %s | %s | %s | %s | %s |", label, Report.number(results.median(key)),
                Report.list(results.runs(key), 1), Report.number(results.median(far)),
                Report.list(results.runs(far), 1), Report.ratio(results.median(far), results.median(key)),
                longTasks(variant));
    }

    /** Long tasks during the transfer, at 0 and 40 ms: the most in one run, and the longest of any run. */
    private String longTasks(String variant) {
        if (!report.measured("browser.longtasks." + variant)) {
            return "not in the page";
        }
        return tasks(variant) + " / " + tasks(variant + ".rtt40");
    }

    private String tasks(String key) {
        double most = Arrays.stream(report.results.runs("browser.longtasks." + key)).max().orElse(Double.NaN);
        double longest = Arrays.stream(report.results.runs("browser.longestMs." + key)).max().orElse(Double.NaN);
        return most == 0 ? "0" : Report.number0(most) + " (" + Report.number0(longest) + " ms)";
    }

    private void ratio(String label, String target, String ours, String theirs) {
        Results results = report.results;
        String a = "browser." + ours;
        String b = "browser." + theirs;
        if (!report.measured(a) || !report.measured(b)) {
            return;
        }
        report.line("| %s | %s | %s | %s | %s | %s |", label, target,
                Report.ratio(results.median(a), results.median(b)), report.perRun(a, b),
                Report.ratio(results.median(a + ".rtt40"), results.median(b + ".rtt40")),
                report.perRun(a + ".rtt40", b + ".rtt40"));
    }
}
