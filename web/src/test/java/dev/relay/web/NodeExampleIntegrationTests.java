package dev.relay.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.client.FileTransfers;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rsocket-js example (examples/node) against the real service: a third-party client written from
 * docs/protocol.md uploads with pause and resume and downloads with a matching SHA-256.
 */
class NodeExampleIntegrationTests extends ServiceIntegrationTest {

    private static final Path EXAMPLE = Path.of("..", "examples", "node").toAbsolutePath().normalize();

    @Test
    void theNodeClientUploadsPausesResumesAndDownloads() throws Exception {
        if (!Files.isDirectory(EXAMPLE.resolve("node_modules"))) {
            run(List.of("npm", "ci", "--no-audit", "--no-fund"), 300);
        }
        Path file = randomFile(3 * PART + 4 * CHUNK + 99, 51);
        Path out = Files.createTempDirectory(Path.of("target"), "node").resolve("downloaded.bin");

        String output = run(List.of("node", "relay-example.mjs", "--url", http().toString(), "--user",
                "node" + System.nanoTime() % 1_000_000, "--password", "node-secret-1", "--file",
                file.toAbsolutePath().toString(), "--out", out.toAbsolutePath().toString(),
                "--pause-after-bytes", String.valueOf(PART + PART / 2)), 180);

        String last = output.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow();
        JsonNode summary = new ObjectMapper().readTree(last);
        String sha = FileTransfers.sha256(file);
        assertThat(summary.get("ok").asBoolean()).isTrue();
        assertThat(summary.get("pausedObserved").asBoolean()).isTrue();
        assertThat(summary.get("bytesSentWhilePaused").asLong()).isLessThanOrEqualTo(WINDOW);
        assertThat(summary.get("sha256").asText()).isEqualTo(sha);
        assertThat(FileTransfers.sha256(out)).isEqualTo(sha);
    }

    private static String run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(EXAMPLE.toFile()).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        boolean exited = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        String text = new String(output, StandardCharsets.UTF_8);
        assertThat(exited).as("%s finished", command).isTrue();
        assertThat(process.exitValue()).as("%s exit code; output:%n%s", command, text).isZero();
        return text;
    }
}
