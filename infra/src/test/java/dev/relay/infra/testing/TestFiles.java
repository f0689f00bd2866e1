package dev.relay.infra.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Test files of reproducible pseudo-random content, kept under the module's target/ between tests of one build (shared
 * by the service's and the CLI's tests through infra's test-jar).
 */
public final class TestFiles {

    private TestFiles() {
    }

    public static Path random(long size, long seed) throws IOException {
        Path dir = Path.of("target", "test-files");
        Files.createDirectories(dir);
        Path file = dir.resolve("random-" + size + "-" + seed + ".bin").toAbsolutePath();
        if (Files.exists(file) && Files.size(file) == size) {
            return file;
        }
        Random random = new Random(seed);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < size; written += block.length) {
                random.nextBytes(block);
                out.write(block, 0, (int) Math.min(block.length, size - written));
            }
        }
        return file;
    }
}
