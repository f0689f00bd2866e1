package dev.relay.web.ui;

import dev.relay.infra.testing.TestServices;
import dev.relay.web.support.ChildService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The browser app end to end: web/src/main/ui/e2e/run.mjs drives Debian's headless Chromium (playwright-core) against
 * the real service, which runs in a child JVM so that the restart scenario can SIGKILL it and start it again on the
 * same port. Two users chat, send a 50 MiB file with pause/resume, download it with a matching SHA-256, reload
 * mid-upload and survive a server restart mid-upload. Screenshots land in target/e2e-screenshots.
 */
class BrowserEndToEndIntegrationTests {

    private static final Path UI = Path.of("src", "main", "ui").toAbsolutePath();
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final String RESTART_SIGNAL = "RELAY_E2E_RESTART";
    private static final AtomicInteger STARTS = new AtomicInteger();

    private final List<Process> processes = new ArrayList<>();
    /** A database of its own, which has no administrator: the first user registers as one with the setup token. */
    private final Map<String, String> database = TestServices.get().newDatabaseProperties();

    @AfterEach
    void stopEverything() {
        processes.forEach(Process::destroyForcibly);
    }

    @Test
    void twoUsersChatAndSendA50MiBFileThroughPauseReloadAndRestart() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "Debian's chromium is installed (.ci/run installs it)");
        assertThat(Path.of("target", "classes", "static", "index.html"))
                .as("the UI bundle (built by npm in generate-resources; not skipped with -Drelay.ui.skip)").exists();
        if (!Files.isDirectory(UI.resolve("node_modules").resolve("playwright-core"))) {
            Process ci = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(UI.toFile()).inheritIO().start();
            processes.add(ci);
            assertThat(ci.waitFor(300, TimeUnit.SECONDS) && ci.exitValue() == 0).as("npm ci").isTrue();
        }

        int port = ChildService.freePort();
        Path firstLog = startService(port);
        // As an operator does: the setup token from the service's log.
        String token = setupToken(firstLog);
        Path screenshots = Path.of("target", "e2e-screenshots").toAbsolutePath();
        Process e2e = new ProcessBuilder("node", "e2e/run.mjs", "--base-url", "http://127.0.0.1:" + port,
                "--screenshots", screenshots.toString(), "--restart-control", "--setup-token", token)
                .directory(UI.toFile()).redirectErrorStream(true).start();
        processes.add(e2e);

        StringBuilder output = new StringBuilder();
        String last = null;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(e2e.getInputStream(), StandardCharsets.UTF_8));
             OutputStream control = e2e.getOutputStream()) {
            String line;
            while ((line = lines.readLine()) != null) {
                System.out.println(line);
                output.append(line).append('\n');
                if (line.startsWith("{")) {
                    last = line;
                }
                if (line.equals(RESTART_SIGNAL)) {
                    // SIGKILL: no shutdown hook, no staging; the browser must reconnect and resume from the database.
                    Process old = processes.stream().filter(p -> p != e2e && p.isAlive()).findFirst().orElseThrow();
                    old.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                    Thread.sleep(1500);
                    startService(port);
                    control.write("RESTARTED\n".getBytes(StandardCharsets.UTF_8));
                    control.flush();
                }
            }
        }
        assertThat(e2e.waitFor(60, TimeUnit.SECONDS)).as("the e2e run ended").isTrue();
        assertThat(e2e.exitValue()).as("e2e exit code; output:%n%s", output).isZero();
        assertThat(last).as("summary line").contains("\"ok\":true");
        assertThat(output.toString()).contains("a server restart mid-upload is survived");
    }

    /** The token the service logs once its start-up work is done (after it listens). */
    private static String setupToken(Path log) throws Exception {
        Pattern line = Pattern.compile("setup token (\\S+) ");
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            Matcher found = line.matcher(Files.readString(log));
            if (found.find()) {
                return found.group(1);
            }
            assertThat(System.nanoTime()).as("the setup token in %s within 30 s", log).isLessThan(end);
            Thread.sleep(100);
        }
    }

    private Path startService(int port) throws Exception {
        Path log = Path.of("target", "e2e-service-" + STARTS.incrementAndGet() + ".log");
        List<String> args = new ArrayList<>(List.of("--relay.transfer.part-size=5MB"));
        database.forEach((key, value) -> args.add("--" + key + "=" + value));
        processes.add(ChildService.start(port, log, Duration.ofSeconds(90), args));
        return log;
    }
}
