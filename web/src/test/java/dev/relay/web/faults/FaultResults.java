package dev.relay.web.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The figures of one fault case, printed and written to {@code target/faults/<id>.tsv} (one line: case, tried,
 * passed, figures, run mode, seed) for bench/faults.sh to turn into docs/reliability.md.
 */
final class FaultResults {

    static final Path DIR = Path.of("target", "faults");

    private FaultResults() {
    }

    static void record(String id, String description, int tried, int passed, String figures) {
        write(id, description, tried, passed, figures, "case");
    }

    private static void write(String id, String description, int tried, int passed, String figures, String kind) {
        String line = String.join("\t", description.replace('|', '/'), Integer.toString(tried),
                Integer.toString(passed), figures.replace('\t', ' ').replace('\n', ' ').replace("|", "\\|"),
                FaultSettings.mode(), Long.toString(FaultSettings.SEED), kind);
        System.out.printf("[faults] %s: %d/%d passed; %s%n", description, passed, tried, figures);
        try {
            Files.createDirectories(DIR);
            Files.writeString(DIR.resolve(id + ".tsv"), line + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String mib(double bytes) {
        return String.format(Locale.ROOT, "%.2f MiB", bytes / (1024.0 * 1024.0));
    }

    static String kib(double bytes) {
        return String.format(Locale.ROOT, "%.0f KiB", bytes / 1024.0);
    }

    static String seconds(double nanos) {
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    static long median(List<Long> values) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    static long max(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).max().orElse(0);
    }
}
