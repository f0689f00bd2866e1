import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Properties;

/**
 * Raw figures of a benchmark run, kept in a properties file so that the measuring steps (one per service
 * configuration) and the report can be separate processes: each key holds the values of all runs, in order.
 */
final class Results {

    private final Path file;
    private final Properties values = new Properties();

    private Results(Path file) {
        this.file = file;
    }

    static Results load(Path file) throws IOException {
        Results results = new Results(file);
        if (Files.exists(file)) {
            try (Reader in = Files.newBufferedReader(file)) {
                results.values.load(in);
            }
        }
        return results;
    }

    void add(String key, double value) {
        String previous = values.getProperty(key);
        String formatted = String.format(Locale.ROOT, "%.3f", value);
        values.setProperty(key, previous == null ? formatted : previous + " " + formatted);
    }

    /** All values recorded under {@code key}, in the order of the runs; empty if none. */
    double[] runs(String key) {
        String joined = values.getProperty(key);
        if (joined == null || joined.isBlank()) {
            return new double[0];
        }
        return Arrays.stream(joined.trim().split(" ")).mapToDouble(Double::parseDouble).toArray();
    }

    /** The keys that start with {@code prefix}, sorted. */
    java.util.List<String> keys(String prefix) {
        return values.stringPropertyNames().stream().filter(k -> k.startsWith(prefix)).sorted().toList();
    }

    /** The median of the runs under {@code key}, or NaN if there are none. */
    double median(String key) {
        double[] sorted = runs(key);
        Arrays.sort(sorted);
        int n = sorted.length;
        if (n == 0) {
            return Double.NaN;
        }
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    void save() throws IOException {
        try (Writer out = Files.newBufferedWriter(file)) {
            values.store(out, "bench/run.sh raw results: each key lists the value of every run");
        }
    }
}
