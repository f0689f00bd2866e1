import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time of the processes taking part in an upload, from /proc/PID/stat (utime + stime, and for the harness itself
 * also cutime + cstime: the tus client runs as a child it waits for). On 2 shared cores every variant is CPU-bound,
 * so CPU seconds per GiB, by process, say where the throughput goes.
 */
final class ProcessCpu {

    /** USER_HZ: the unit of /proc/PID/stat times on Linux. */
    private static final double TICKS_PER_SECOND = 100.0;

    private final Map<String, Long> pids = new LinkedHashMap<>();

    /** Watches {@code pid} under {@code name}; a pid of 0 or less is left out. */
    ProcessCpu watch(String name, long pid) {
        if (pid > 0) {
            pids.put(name, pid);
        }
        return this;
    }

    /** CPU seconds used so far, by name; "client" is this JVM and its waited-for children. */
    Map<String, Double> sample() throws IOException {
        Map<String, Double> seconds = new LinkedHashMap<>();
        seconds.put("client", ticks(Path.of("/proc/self/stat"), true) / TICKS_PER_SECOND);
        for (Map.Entry<String, Long> entry : pids.entrySet()) {
            seconds.put(entry.getKey(), ticks(Path.of("/proc", entry.getValue().toString(), "stat"), false)
                    / TICKS_PER_SECOND);
        }
        return seconds;
    }

    /** Exchanges the samples of two processes (one may be absent). */
    static void swap(Map<String, Double> sample, String a, String b) {
        Double first = sample.remove(a);
        Double second = sample.remove(b);
        if (second != null) {
            sample.put(a, second);
        }
        if (first != null) {
            sample.put(b, first);
        }
    }

    /** Records, per process, the CPU seconds per GiB between two samples as {@code cpu.<process>.<variant>}. */
    static void record(Results results, String variant, Map<String, Double> before, Map<String, Double> after,
                       long bytes) {
        double gib = bytes / (double) (1L << 30);
        for (Map.Entry<String, Double> entry : after.entrySet()) {
            double used = entry.getValue() - before.getOrDefault(entry.getKey(), entry.getValue());
            results.add("cpu." + entry.getKey() + "." + variant, used / gib);
        }
    }

    private static long ticks(Path stat, boolean withChildren) throws IOException {
        String line = Files.readString(stat);
        // The command name (field 2) may contain spaces; the fields after it are counted from its closing ')'.
        String[] fields = line.substring(line.lastIndexOf(')') + 2).split(" ");
        // fields[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17.
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        if (withChildren) {
            ticks += Long.parseLong(fields[13]) + Long.parseLong(fields[14]);
        }
        return ticks;
    }
}
