package dev.relay.cli;

import dev.relay.api.UploadState;
import dev.relay.api.wire.UploadInfo;
import dev.relay.cli.config.ConfigStore;
import dev.relay.cli.support.CliIntegrationTest;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import dev.relay.infra.testing.TcpProxy;
import dev.relay.infra.testing.TestFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sends through a {@link TcpProxy} that slows the upload down to a few MiB/s, so the test can interrupt, pause or
 * cancel it half-way.
 */
class InterruptionIntegrationTests extends CliIntegrationTest {

    private static final long SIZE = 12L * 1024 * 1024;
    private static final long SLOW = 3L * 1024 * 1024;
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) bytes sent in this run, from byte (\\d+)");

    private TcpProxy proxy;

    @BeforeEach
    void startProxy() throws Exception {
        proxy = new TcpProxy(port);
    }

    @AfterEach
    void stopProxy() throws Exception {
        proxy.close();
    }

    @Test
    void aKilledSendIsContinuedByRunningItAgain() throws Exception {
        Path config = registeredUser(proxy.url());
        Path file = TestFiles.random(SIZE, 21);
        proxy.throttle(SLOW);

        // A real `relay send` in its own JVM, stopped by SIGTERM (what Ctrl-C amounts to) half-way.
        Path childErr = temp.resolve("child.err");
        ProcessBuilder builder = new ProcessBuilder(List.of(javaBinary(), "-Xmx256m",
                "-Dslf4j.provider=org.slf4j.helpers.NOP_FallbackServiceProvider",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "send", file.toString()))
                .redirectOutput(temp.resolve("child.out").toFile()).redirectError(childErr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().put(ConfigStore.ENV_CONFIG, config.toString());
        Process child = builder.start();
        String id;
        long durableBeforeKill;
        try {
            id = awaitPendingUpload(config, TIMEOUT);
            RelayClient observer = client(config);
            durableBeforeKill = awaitUpload(observer, id, u -> u.offset() >= PART).offset();
        } finally {
            child.destroy();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(Files.readString(childErr)).contains("interrupted: run `relay send " + file
                + "` again to continue upload " + id);
        assertThat(client(config).upload(id).block(TIMEOUT).state()).isEqualTo(UploadState.ACTIVE);

        proxy.throttle(0);
        Run again = relay(config, "send", file.toString());
        System.out.println("killed at durable offset " + durableBeforeKill + "; upstream so far "
                + proxy.upstreamBytes() + "\nchild stderr:\n" + Files.readString(childErr) + "\nsecond run: " + again);

        assertThat(again.exit()).as(again.toString()).isZero();
        assertThat(again.out().trim()).isEqualTo(id);
        assertThat(again.err()).contains("continuing upload " + id + " (", "; sending from byte ")
                .doesNotContain("computing");
        Matcher summary = SUMMARY.matcher(again.err());
        assertThat(summary.find()).as(again.err()).isTrue();
        long sentAgain = Long.parseLong(summary.group(1));
        long resumedFrom = Long.parseLong(summary.group(2));
        assertThat(resumedFrom).isGreaterThanOrEqualTo(durableBeforeKill);
        assertThat(sentAgain).isEqualTo(SIZE - resumedFrom);
        // Over both runs, little more than the file went upstream: what the first run sent was kept.
        assertThat(proxy.upstreamBytes()).isLessThan(SIZE + WINDOW);
        UploadInfo done = client(config).upload(id).block(TIMEOUT);
        assertThat(done.state()).isEqualTo(UploadState.COMPLETED);
        assertThat(done.sha256()).isEqualTo(FileTransfers.sha256(file));
    }

    @Test
    void aDroppedConnectionIsRetriedAndTheUploadContinues() throws Exception {
        Path config = registeredUser(proxy.url());
        Path file = TestFiles.random(SIZE, 22);
        proxy.throttle(SLOW);

        Background send = relayInBackground(config, "send", file.toString());
        String id = awaitPendingUpload(config, TIMEOUT);
        awaitUpload(client(config), id, u -> u.offset() >= PART);
        proxy.cutConnections();
        send.awaitErr(err -> err.contains("connection lost"), TIMEOUT);
        proxy.throttle(0);

        Run run = send.await(TIMEOUT);
        System.out.println("upstream " + proxy.upstreamBytes() + "; run: " + run);
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out().trim()).isEqualTo(id);
        assertThat(proxy.upstreamBytes()).isLessThan(SIZE + 3 * WINDOW);
        Path copy = temp.resolve("copy.bin");
        assertThat(relay(config, "get", id, "-o", copy.toString(), "-q").exit()).isZero();
        assertThat(FileTransfers.sha256(copy)).isEqualTo(FileTransfers.sha256(file));
    }

    @Test
    void pauseAndResumeCommandsHoldAndReleaseARunningSend() throws Exception {
        Path config = registeredUser(proxy.url());
        Path file = TestFiles.random(SIZE, 23);
        proxy.throttle(SLOW);
        Background send = relayInBackground(config, "send", file.toString());
        String id = awaitPendingUpload(config, TIMEOUT);
        send.awaitErr(err -> err.contains(" ETA "), TIMEOUT);

        Run paused = relay(config, "pause", id);
        assertThat(paused.exit()).as(paused.toString()).isZero();
        assertThat(paused.out()).startsWith(id + " PAUSED: ");
        send.awaitErr(err -> err.lines().anyMatch(line -> line.endsWith(" paused")), TIMEOUT);
        RelayClient observer = client(config);
        long before = awaitUpload(observer, id, u -> u.state() == UploadState.PAUSED).offset();
        Thread.sleep(1500);
        assertThat(send.isDone()).isFalse();
        assertThat(observer.upload(id).block(TIMEOUT).offset()).isLessThan(SIZE);

        Run listed = relay(config, "ls");
        assertThat(listed.out()).containsPattern(id + "  PAUSED +12.0 MiB");

        Run resumed = relay(config, "resume", id);
        assertThat(resumed.exit()).as(resumed.toString()).isZero();
        assertThat(resumed.out()).startsWith(id + " ACTIVE: ");
        Run run = send.await(TIMEOUT);
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(observer.upload(id).block(TIMEOUT).offset()).isEqualTo(SIZE).isGreaterThanOrEqualTo(before);

        // A completed upload cannot be paused any more: rejected, exit code 5.
        Run late = relay(config, "pause", id);
        assertThat(late.exit()).as(late.toString()).isEqualTo(ExitCodes.REJECTED);
        assertThat(late.err()).startsWith("relay: INVALID_STATE: ");
    }

    @Test
    void cancelEndsARunningSendWhichReportsItAsRejected() throws Exception {
        Path config = registeredUser(proxy.url());
        Path file = TestFiles.random(SIZE, 24);
        proxy.throttle(SLOW);
        Background send = relayInBackground(config, "send", file.toString());
        String id = awaitPendingUpload(config, TIMEOUT);
        send.awaitErr(err -> err.contains(" ETA "), TIMEOUT);

        Run cancelled = relay(config, "cancel", id);
        assertThat(cancelled.exit()).as(cancelled.toString()).isZero();
        assertThat(cancelled.out()).startsWith(id + " CANCELLED");

        Run run = send.await(TIMEOUT);
        assertThat(run.exit()).as(run.toString()).isEqualTo(ExitCodes.REJECTED);
        assertThat(run.err()).contains("relay: CANCELLED: ");
        assertThat(Files.readString(new ConfigStore(config).directory().resolve("pending-uploads.json")))
                .doesNotContain(id);

        List<String> codes = new ArrayList<>();
        for (String command : new String[]{"cancel", "resume", "pause"}) {
            Run again = relay(config, command, id);
            codes.add(command + "=" + again.exit());
            assertThat(again.err()).startsWith("relay: INVALID_STATE: ");
        }
        assertThat(codes).containsExactly("cancel=5", "resume=5", "pause=5");
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
