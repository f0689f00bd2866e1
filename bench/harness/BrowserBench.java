import dev.relay.client.RelayClient;
import dev.relay.infra.testing.DelayRelay;
import io.minio.MinioClient;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The browser section: Chromium (bench/browser/run.mjs, a child process answering one command a line) uploading the
 * test file through the app's own code, with a plain XHR PUT to a local sink and with tus-js-client, and downloading
 * it in the app, through its HTTP link and with a plain fetch(); beside the Java client through the same service, in
 * the same runs. And Chromium's own WebSocket, sending the File's slices to the driver's sink and receiving the file
 * from it (no RSocket, service or S3): what the app's transfers run on. Each also with 20 ms each way through a {@link DelayRelay} (page, WebSocket and HTTP alike). Keys:
 * {@code browser.<variant>} and {@code browser.<variant>.rtt40} in MB/s, and for transfers in the page
 * {@code browser.longtasks.<key>} and {@code browser.longestMs.<key>}, and for the app's upload
 * {@code browser.creditHeld.<key>}: the share of its time the page held credit it had not used yet.
 */
final class BrowserBench {

    private static final Duration ONE_WAY_DELAY = Duration.ofMillis(20);
    static final String[] UPLOADS = {"java", "app", "xhr", "tus", "ws"};
    static final String[] DOWNLOADS = {"app-read", "link", "fetch", "ws-read"};

    private final Results results;
    private final Map<String, String> options;
    private Process driver;
    private BufferedReader answers;
    private Writer commands;

    BrowserBench(Results results, Map<String, String> options) {
        this.results = results;
        this.options = options;
    }

    /** Runs the section on the service at {@code service}, whose user the harness registered ({@code client}). */
    void measure(RelayClient client, MinioClient minio, String bucket, Path file, String sha256, int runs,
                 InetSocketAddress service) throws Exception {
        long size = Files.size(file);
        long began = System.nanoTime();
        String serviceUrl = options.get("service-url");
        URI tus = URI.create(options.get("tus-url"));
        int sinkPort = start(serviceUrl, file, sha256);
        try (DelayRelay appFar = new DelayRelay(service, ONE_WAY_DELAY);
             DelayRelay sinkFar = new DelayRelay(new InetSocketAddress("127.0.0.1", sinkPort), ONE_WAY_DELAY);
             DelayRelay tusFar = new DelayRelay(new InetSocketAddress(tus.getHost(), tus.getPort()), ONE_WAY_DELAY);
             RelayClient far = RelayClient.connect(URI.create("ws://127.0.0.1:" + appFar.port() + "/rsocket"),
                     options.get("token"))) {
            String sink = "http://127.0.0.1:" + sinkPort;
            String[] app = {serviceUrl, "http://127.0.0.1:" + appFar.port()};
            String[] sinks = {sink, "http://127.0.0.1:" + sinkFar.port()};
            String[] tusUrls = {tus.toString(), tus.getScheme() + "://127.0.0.1:" + tusFar.port() + tus.getPath()};
            RelayClient[] java = {client, far};

            Map<String, Step> uploads = new LinkedHashMap<>();
            for (int far40 = 0; far40 < 2; far40++) {
                String suffix = far40 == 0 ? "" : ".rtt40";
                int i = far40;
                uploads.put("java" + suffix, () -> Map.of("seconds", Uploads.relay(java[i], file, sha256)));
                uploads.put("app" + suffix, () -> call("app-upload origin=" + app[i]));
                uploads.put("xhr" + suffix, () -> call("xhr origin=" + sinks[i]));
                uploads.put("tus" + suffix, () -> call("tus origin=" + sinks[i] + " endpoint=" + tusUrls[i]));
                uploads.put("ws" + suffix, () -> call("ws origin=" + sinks[i]));
            }
            call("prepare app=" + String.join(",", app) + " sink=" + String.join(",", sinks));
            double prepared = (System.nanoTime() - began) / 1e9;
            // One app upload first, untimed: the page's code runs warm, as in a tab that has sent files before. Not
            // for a single run (the test suite's quick one), which checks that everything works more than it measures.
            if (runs > 1) {
                call("app-upload origin=" + serviceUrl);
                Uploads.emptyBucket(minio, bucket);
            }
            System.out.printf(Locale.ROOT, "  browser: Chromium and its pages ready after %.0f s, warm after %.0f s%n",
                    prepared, (System.nanoTime() - began) / 1e9);
            List<String> order = new ArrayList<>(uploads.keySet());
            for (int run = 0; run < runs; run++) {
                for (int i = 0; i < order.size(); i++) {
                    String name = order.get((i + run) % order.size());
                    if (!name.startsWith("xhr") && !name.startsWith("ws")) {
                        Bench.flushDisk(); // the others write to S3
                    }
                    record(run, runs, name, size, uploads.get(name).run());
                    Uploads.emptyBucket(minio, bucket);
                    results.save();
                }
                // The downloads read a file the Java client has just uploaded (the user's own).
                String id = Uploads.relayId(client, file, sha256);
                Map<String, Step> downloads = new LinkedHashMap<>();
                for (int far40 = 0; far40 < 2; far40++) {
                    String suffix = far40 == 0 ? "" : ".rtt40";
                    String where = " origin=" + app[far40] + " id=" + id + " size=" + size;
                    downloads.put("app-read" + suffix, () -> call("app-read" + where));
                    downloads.put("link" + suffix, () -> call("link" + where));
                    downloads.put("fetch" + suffix, () -> call("fetch" + where));
                    String sinkOrigin = " origin=" + sinks[far40];
                    downloads.put("ws-read" + suffix, () -> call("ws-read" + sinkOrigin));
                }
                List<String> reads = new ArrayList<>(downloads.keySet());
                for (int i = 0; i < reads.size(); i++) {
                    String name = reads.get((i + run) % reads.size());
                    record(run, runs, name, size, downloads.get(name).run());
                    results.save();
                }
                Uploads.emptyBucket(minio, bucket);
            }
        } finally {
            stop();
        }
        System.out.printf(Locale.ROOT, "  browser section: %.0f s%n", (System.nanoTime() - began) / 1e9);
    }

    private void record(int run, int runs, String name, long size, Map<String, Double> answer) {
        double mbps = size / answer.get("seconds") / 1e6;
        results.add("browser." + name, mbps);
        if (answer.containsKey("held")) {
            results.add("browser.creditHeld." + name, answer.get("held"));
        }
        String tasks = "";
        if (answer.containsKey("longtasks")) {
            results.add("browser.longtasks." + name, answer.get("longtasks"));
            results.add("browser.longestMs." + name, answer.get("longest"));
            tasks = String.format(Locale.ROOT, ", %.0f long task(s), longest %.0f ms", answer.get("longtasks"),
                    answer.get("longest"));
        }
        if (answer.containsKey("held")) {
            tasks += String.format(Locale.ROOT, ", unused credit held %.0f %% of the time", 100 * answer.get("held"));
        }
        System.out.printf(Locale.ROOT, "  browser %d/%d  %-14s %8.1f MB/s  (%.2f s%s)%n", run + 1, runs, name, mbps,
                answer.get("seconds"), tasks);
    }

    /** Starts the driver (Chromium, a sink, a peer to send to); returns the sink's port. */
    private int start(String serviceUrl, Path file, String sha256) throws IOException {
        Path script = Path.of(options.get("browser-script"));
        ProcessBuilder builder = new ProcessBuilder("node", script.toString(), "--base-url", serviceUrl,
                "--username", options.get("username"), "--password", options.get("password"),
                "--file", file.toString(), "--sha256", sha256,
                "--chromium", options.getOrDefault("chromium", "/usr/bin/chromium"))
                .directory(script.getParent().toFile())
                .redirectError(ProcessBuilder.Redirect.appendTo(Path.of(options.get("browser-log")).toFile()));
        driver = builder.start();
        answers = new BufferedReader(new InputStreamReader(driver.getInputStream(), StandardCharsets.UTF_8));
        commands = new java.io.OutputStreamWriter(driver.getOutputStream(), StandardCharsets.UTF_8);
        String ready = answers.readLine();
        if (ready == null || !ready.startsWith("ready sink=")) {
            throw new IOException("the browser driver did not start (" + ready + "); see " + options.get("browser-log"));
        }
        return Integer.parseInt(ready.substring("ready sink=".length()).trim());
    }

    /** Sends one command; returns the answer's figures, or throws with the driver's reason. */
    private Map<String, Double> call(String command) throws IOException {
        commands.write(command + "\n");
        commands.flush();
        String answer = answers.readLine();
        if (answer == null || !answer.startsWith("ok")) {
            throw new IOException("browser: " + command + ": " + (answer == null ? "the driver exited" : answer)
                    + " (log: " + options.get("browser-log") + ")");
        }
        Map<String, Double> figures = new LinkedHashMap<>();
        for (String pair : answer.substring(2).trim().split(" ")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                figures.put(pair.substring(0, eq), Double.parseDouble(pair.substring(eq + 1)));
            }
        }
        return figures;
    }

    private void stop() throws InterruptedException {
        if (driver == null) {
            return;
        }
        try {
            commands.write("quit\n");
            commands.flush();
        } catch (IOException e) {
            // it has gone already
        }
        if (!driver.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
            driver.destroyForcibly().waitFor();
        }
    }

    @FunctionalInterface
    private interface Step {
        Map<String, Double> run() throws Exception;
    }
}
