/** Section 9 of the report: memory per upload and per connection ({@link Concurrent}, {@link Capacity}). */
final class MemoryReport {

    private final Report report;

    MemoryReport(Report report) {
        this.report = report;
    }

    void render() {
        Results results = report.results;
        java.util.Map<String, String> options = report.options;
        String paused = options.getOrDefault("paused-uploads", "1000");
        if (report.measured("memory.perActiveMiB.1", "memory.perActiveMiB.16", "memory.perActiveMiB.64",
                "memory.perPausedKiB")) {
            line("");
            line("### 9. Memory per upload (live objects after a full GC: jcmd GC.class_histogram)");
            line("Active uploads are held at 2 MB/s each by a rate cap so that they stay mid-part while measured;"
                    + " paused uploads were paused after their first chunks (their sessions hibernate).");
            line("");
            line("| uploads | live heap added, MiB | per upload | RSS added, MiB |");
            line("|---|---:|---:|---:|");
            for (int n : new int[]{1, 16, 64}) {
                line("| %d active | %s | %s MiB | %s |", n, number(results.median("memory.active" + n + ".heapMiB")),
                        number(results.median("memory.perActiveMiB." + n)),
                        number(results.median("memory.active" + n + ".rssMiB")));
            }
            line("| %s paused | %s | %s KiB | |", paused,
                    number(results.median("memory.paused" + paused + ".heapMiB")),
                    number(results.median("memory.perPausedKiB")));
            String open = options.getOrDefault("open-uploads", "1000");
            String idle = options.getOrDefault("idle-connections", "10000");
            if (report.measured("capacity.open" + open + ".heapMiB")) {
                double heap = results.median("capacity.open" + open + ".heapMiB");
                line("| %s opened at once (%s receiving, the rest waiting for the buffer budget of %s) | %s | %s MiB |"
                                + " %s |", open, number(results.median("capacity.open" + open + ".receiving")),
                        options.getOrDefault("buffer-budget", "half the heap"), number(heap),
                        number(heap / Double.parseDouble(open)),
                        number(results.median("capacity.open" + open + ".rssMiB")));
            }
            if (report.measured("capacity.idle" + idle + ".heapMiB")) {
                double heap = results.median("capacity.idle" + idle + ".heapMiB");
                // No RSS: the heap the uploads before grew stays committed or is given back by the GCs of the
                // measurement, whichever G1 decides, which hides what connections add.
                line("| %s idle connections, each with its event stream (connected in %s s) | %s | %s KiB | |",
                        idle, number(results.median("capacity.idle" + idle + ".connectSeconds")), number(heap),
                        number(heap * 1024 / Double.parseDouble(idle)));
            }
            line("");
            line("Targets (issue #19 §3): ≤ 1 MiB of heap per active upload, ≤ 2 KiB per paused upload, ≤ 50 KiB per"
                    + " idle connection; uploads past the buffer budget wait (a pause to their clients), never fail.");
        }
    }

    private static String number(double v) {
        return Report.number(v);
    }

    private void line(String format, Object... args) {
        report.line(format, args);
    }
}
