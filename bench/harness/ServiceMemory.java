import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The service's resident memory, from /proc: VmHWM is the peak since the process started or since the peak was
 * last reset by writing 5 to clear_refs (Linux 4.0+), so resetting it just before an upload gives that upload's peak.
 */
final class ServiceMemory {

    private final Path status;
    private final Path clearRefs;
    private double rssBeforeMiB;

    ServiceMemory(long pid) {
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
