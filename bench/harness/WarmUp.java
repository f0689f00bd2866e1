import dev.relay.client.FileTransfers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The benchmark's warm-up: services are measured once their JIT compilers have settled, not in their first minutes. */
final class WarmUp {

    /** The share of an upload's time a JVM may spend compiling and count as settled. */
    private static final double JIT_SETTLED = 0.05;
    private static final int WARMUP_LIMIT = 8;
    static final int ROUNDS = 6;

    private WarmUp() {
    }

    /**
     * Sends the warm-up file through the service until {@code budget} bytes went through it and its JIT compiler took
     * at most {@link #JIT_SETTLED} of an upload's time (up to {@link #WARMUP_LIMIT} times the budget), then through
     * every variant in turn until no JVM's compiler (client, service, S3 server) took more than that in a whole round
     * (up to {@code maxRounds}: {@link #ROUNDS}, fewer for a quick run). Long-running servers are measured, not
     * their first minutes: on two shared cores the service's C2 compiler took a quarter of its CPU during an upload
     * after 1 GiB of warm-up, and first stayed under 5 % after 2 to 8 GiB; the other variants warm the S3 server's code
     * paths of their own. A variant may upload the file {@code copies} times at once (the cluster section's do).
     */
    static void run(Map<String, Bench.Variant> variants, Path file, long budget, int maxRounds, int copies,
                       JitActivity jit) throws Exception {
        String sha256 = FileTransfers.sha256(file);
        long size = Files.size(file);
        List<String> speeds = new ArrayList<>();
        long throughService = 0;
        Round round = new Round(0, Map.of());
        boolean serviceSettled = false;
        while (!serviceSettled && throughService < WARMUP_LIMIT * budget) {
            round = warmUpRound(variants, true, file, size, sha256, jit, speeds);
            if (round.uploads() == 0) {
                break;
            }
            throughService += size * copies * round.uploads();
            serviceSettled = throughService >= budget
                    && round.compiling().getOrDefault("service", 0.0) <= JIT_SETTLED;
        }
        int rounds = 0;
        boolean allSettled = false;
        while (!allSettled && rounds < maxRounds) {
            round = warmUpRound(variants, false, file, size, sha256, jit, speeds);
            rounds++;
            allSettled = round.compiling().values().stream().allMatch(share -> share <= JIT_SETTLED);
        }
        StringBuilder jvms = new StringBuilder();
        round.compiling().forEach((jvm, share) -> jvms.append(String.format(Locale.ROOT, " %s %.0f %%", jvm,
                share * 100)));
        System.out.printf("  warm-up: %d MiB through the service, then %d round(s) of every variant (JIT compiling at"
                + " most, in the last round, as a share of an upload's time:%s%s); Relay MB/s per upload: %s%n",
                throughService >> 20, rounds, jvms, allSettled ? "" : "; not settled, stopped at the limit",
                String.join(" ", speeds));
    }

    /** A warm-up round: its uploads, and by JVM the largest share of an upload's time it spent compiling. */
    private record Round(int uploads, Map<String, Double> compiling) {
    }

    /** Uploads the file once through each variant (only those through the service if {@code serviceOnly}). */
    private static Round warmUpRound(Map<String, Bench.Variant> variants, boolean serviceOnly, Path file, long size,
                                     String sha256, JitActivity jit, List<String> speeds) throws Exception {
        Map<String, Double> compiling = new LinkedHashMap<>();
        int uploads = 0;
        for (Map.Entry<String, Bench.Variant> variant : variants.entrySet()) {
            boolean viaService = variant.getKey().startsWith("relay@") || variant.getKey().startsWith("latency")
                    || variant.getKey().startsWith("cluster.") || EmbeddedClient.isChild(variant.getKey());
            if (serviceOnly && !viaService) {
                continue;
            }
            Map<String, Long> before = jit.sample();
            double seconds = variant.getValue().upload(file, sha256);
            JitActivity.shares(before, jit.sample(), seconds * 1000).forEach((jvm, share) -> compiling.merge(jvm,
                    share, Math::max));
            uploads++;
            if (variant.getKey().startsWith("relay@") || variant.getKey().startsWith("cluster.")) {
                speeds.add(String.format(Locale.ROOT, "%.0f", size / seconds / 1e6));
            }
        }
        return new Round(uploads, compiling);
    }
}
