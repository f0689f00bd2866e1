import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The service's resident memory, from /proc: VmHWM is the peak since the process started or since the peak was
 * last reset by writing 5 to clear_refs (Linux 4.0+), so resetting it just before an upload gives that upload's peak.
 */
final class ServiceMemory {

    private static final Pattern TOTAL = Pattern.compile("Total\\s+\\d+\\s+(\\d+)");
    private static final AtomicInteger HISTOGRAMS = new AtomicInteger();
    private static final Pattern HEAP_USED = Pattern.compile("heap\\s+total \\d+K, used (\\d+)K");

    private final long pid;
    private final Path status;
    private final Path clearRefs;
    private double rssBeforeMiB;

    ServiceMemory(long pid) {
        this.pid = pid;
        Path proc = Path.of("/proc", Long.toString(pid));
        this.status = proc.resolve("status");
        this.clearRefs = proc.resolve("clear_refs");
    }

    void resetPeak() throws IOException {
        rssBeforeMiB = readMiB("VmRSS");
        Files.writeString(clearRefs, "5");
    }

    /** Records the RSS before the upload, the peak during it and the RSS after it, in MiB. */
    void recordInto(Results results, String window) throws IOException {
        results.add("rss.before@" + window, rssBeforeMiB);
        results.add("rss.peak@" + window, readMiB("VmHWM"));
        results.add("rss.after@" + window, readMiB("VmRSS"));
    }

    /** The peak RSS since {@link #resetPeak()}. */
    double peakMiB() throws IOException {
        return readMiB("VmHWM");
    }

    double rssMiB() throws IOException {
        return readMiB("VmRSS");
    }

    /**
     * The service's live heap: the total size of the objects a class histogram finds (jcmd GC.class_histogram runs a
     * full GC first). Unlike "used" heap this counts neither garbage allocated since the collection nor the unused
     * tails of G1 regions that hold large arrays.
     */
    double liveHeapMiB() throws IOException, InterruptedException {
        String histogram = jcmd("GC.class_histogram");
        keep(histogram);
        Matcher m = TOTAL.matcher(histogram);
        if (!m.find()) {
            throw new IOException("No total in jcmd GC.class_histogram of " + pid);
        }
        return Long.parseLong(m.group(1)) / 1048576.0;
    }

    /**
     * The heap in use now, garbage included (jcmd GC.heap_info, which collects nothing): what a backlog of queued
     * work holds at that moment, plus whatever the next young collection would free.
     */
    double heapUsedMiB() throws IOException, InterruptedException {
        Matcher m = HEAP_USED.matcher(jcmd("GC.heap_info"));
        if (!m.find()) {
            throw new IOException("No heap use in jcmd GC.heap_info of " + pid);
        }
        return Long.parseLong(m.group(1)) / 1024.0;
    }

    /**
     * With BENCH_HISTOGRAM_DIR set, each histogram is kept there (histogram-N.txt, in the order taken), to see which
     * classes a figure's heap is made of.
     */
    private static void keep(String histogram) throws IOException {
        String dir = System.getenv("BENCH_HISTOGRAM_DIR");
        if (dir != null && !dir.isBlank()) {
            Files.createDirectories(Path.of(dir));
            Files.writeString(Path.of(dir, "histogram-" + HISTOGRAMS.incrementAndGet() + ".txt"), histogram);
        }
    }

    private String jcmd(String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("jcmd", Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException("jcmd " + command + " failed: " + out);
        }
        return out;
    }

    private double readMiB(String field) throws IOException {
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith(field + ":")) {
                // "VmHWM:	  123456 kB"
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        throw new IOException(field + " not found in " + status);
    }
}
