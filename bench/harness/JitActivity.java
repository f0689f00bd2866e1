import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * JIT compilation time of the JVMs taking part (this one, the service, the S3 server), so that the warm-up can go on
 * until their compilers have settled: a C2 compiler still busy on two shared cores took up to two fifths of the
 * service's CPU during a measured upload after a fixed warm-up of 1 GiB.
 */
final class JitActivity {

    private final Map<String, Long> pids = new LinkedHashMap<>();

    /** Watches the JVM {@code pid} under {@code name}; a pid of 0 or less is left out. */
    JitActivity watch(String name, long pid) {
        if (pid > 0) {
            pids.put(name, pid);
        }
        return this;
    }

    /** Milliseconds spent compiling so far, by JVM; "client" is this one. */
    Map<String, Long> sample() throws IOException, InterruptedException {
        Map<String, Long> millis = new LinkedHashMap<>();
        millis.put("client", ManagementFactory.getCompilationMXBean().getTotalCompilationTime());
        for (Map.Entry<String, Long> entry : pids.entrySet()) {
            millis.put(entry.getKey(), compileMillis(entry.getValue()));
        }
        return millis;
    }

    /** The share of {@code wallMillis} that each JVM spent compiling between two samples. */
    static Map<String, Double> shares(Map<String, Long> before, Map<String, Long> after, double wallMillis) {
        Map<String, Double> shares = new LinkedHashMap<>();
        for (Map.Entry<String, Long> entry : after.entrySet()) {
            shares.put(entry.getKey(), (entry.getValue() - before.getOrDefault(entry.getKey(), entry.getValue()))
                    / wallMillis);
        }
        return shares;
    }

    /** From {@code jstat -compiler}: its "Time" column is the JVM's total compilation time in seconds. */
    private static long compileMillis(long pid) throws IOException, InterruptedException {
        Process jstat = new ProcessBuilder(jdkTool("jstat"), "-compiler", Long.toString(pid))
                .redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>(jstat.inputReader().lines().toList());
        if (!jstat.waitFor(30, TimeUnit.SECONDS) || jstat.exitValue() != 0 || lines.size() < 2) {
            throw new IOException("jstat -compiler " + pid + " failed: " + String.join(" / ", lines));
        }
        List<String> header = List.of(lines.get(0).trim().split("\\s+"));
        String[] values = lines.get(1).trim().split("\\s+");
        return Math.round(Double.parseDouble(values[header.indexOf("Time")]) * 1000);
    }

    private static String jdkTool(String name) {
        return Path.of(System.getProperty("java.home"), "bin", name).toString();
    }
}
