package digestbench;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * The measuring side of bench/digest.sh: SHA-256 implementations side by side in one JVM, each hashing the same
 * stream in 256 KiB updates and saving then restoring its state every 16 MiB (what the engine does at each part),
 * after a warm-up, in rounds that take every implementation once in a rotating order. The JDK's MessageDigest, which
 * cannot save its state, is the ceiling the others are compared with.
 *
 * <pre>
 * java digestbench.DigestBench SIZE_MiB ROUNDS WARMUP_MiB relay-dir bc-dir bc-jar bc-lts-dir bc-lts-jar
 * </pre>
 *
 * The two BouncyCastle jars hold the same classes, so they get class loaders of their own: {@code relay-dir} (Relay's
 * digest package and its adapter) with {@code bc-jar}; {@code bc-dir} (the adapter of BouncyCastle's Java API) with
 * {@code bc-jar}, and again with {@code bc-lts-jar}; {@code bc-lts-dir} (the native variant's adapter) with it too.
 */
public final class DigestBench {

    /** One implementation under test. */
    public interface Hasher {

        void update(byte[] bytes, int offset, int length);

        /** Saves the state and goes on from a copy restored from it; returns the saved state's size in bytes. */
        int checkpoint();

        byte[] digest();
    }

    private static final int UPDATE = 256 << 10;
    private static final int PART = 16 << 20;

    private record Variant(String name, Supplier<Hasher> factory) {
    }

    public static void main(String[] args) throws Exception {
        int sizeMib = Integer.parseInt(args[0]);
        int rounds = Integer.parseInt(args[1]);
        int warmupMib = Integer.parseInt(args[2]);
        if (sizeMib < 16 || sizeMib % 16 != 0 || rounds < 1) {
            throw new IllegalArgumentException("SIZE_MiB must be a positive multiple of 16 and ROUNDS at least 1");
        }
        ClassLoader bc = loader(args[4], args[5]);
        ClassLoader relay = loader(args[3], args[7], args[8]);
        ClassLoader lts = loader(args[4], args[6], args[7]);

        List<Variant> variants = new ArrayList<>();
        variants.add(new Variant("JDK MessageDigest (no state export: the ceiling)", JdkMessageDigest::new));
        hashers(relay, "dev.relay.streaming.digest.RelayHashers").forEach((name, factory) -> variants.add(new Variant(name, factory)));
        hashers(bc, "digestbench.BcHashers").forEach((name, factory) -> variants.add(new Variant(name + " " + version(args[5]),
                factory)));
        hashers(lts, "digestbench.BcHashers").forEach((name, factory) -> variants.add(new Variant(name + " " + version(args[7]),
                factory)));
        hashers(lts, "digestbench.BcNativeHashers").forEach((name, factory) -> variants.add(new Variant(name + " "
                + version(args[7]), factory)));

        byte[] part = new byte[PART];
        new Random(1).nextBytes(part);
        byte[] expected = expected(part, sizeMib);

        for (Variant variant : variants) {
            run(variant.factory().get(), part, Math.max(16, warmupMib / 16 * 16), null);
        }
        Map<Variant, List<Double>> rates = new LinkedHashMap<>();
        Map<Variant, Integer> stateSizes = new LinkedHashMap<>();
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < variants.size(); i++) {
                Variant variant = variants.get((i + round) % variants.size());
                int[] stateSize = new int[1];
                long start = System.nanoTime();
                byte[] digest = run(variant.factory().get(), part, sizeMib, stateSize);
                long nanos = System.nanoTime() - start;
                if (!Arrays.equals(digest, expected)) {
                    throw new IllegalStateException(variant.name() + " computed a wrong digest");
                }
                rates.computeIfAbsent(variant, v -> new ArrayList<>()).add((double) sizeMib * (1 << 20) * 1e3 / nanos);
                stateSizes.put(variant, stateSize[0]);
            }
            System.err.printf("[digest bench] round %d of %d done%n", round + 1, rounds);
        }

        double ceiling = median(rates.get(variants.get(0)));
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%s, %d MiB hashed in 256 KiB updates, state saved and restored every"
                        + " 16 MiB, median of %d rounds after %d MiB of warm-up each; MB/s = 10^6 B/s.%n%n",
                ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")),
                sizeMib, rounds, warmupMib));
        out.append("| implementation | MB/s | x JDK MessageDigest | each round (MB/s) | saved state (bytes) |\n");
        out.append("|---|---:|---:|---|---:|\n");
        for (Variant variant : variants) {
            List<Double> figures = rates.get(variant);
            double median = median(figures);
            out.append(String.format(Locale.ROOT, "| %s | %.0f | %.2f | %s | %s |%n", variant.name(), median,
                    median / ceiling, figures.stream().map(r -> String.format(Locale.ROOT, "%.0f", r)).toList()
                            .toString().replaceAll("[\\[\\]]", ""),
                    stateSizes.get(variant) == 0 ? "none" : stateSizes.get(variant)));
        }
        System.out.print(out);
    }

    /** Hashes sizeMib of the repeated part, saving and restoring the state after each 16 MiB. */
    private static byte[] run(Hasher hasher, byte[] part, int sizeMib, int[] stateSize) {
        for (int parts = sizeMib / 16; parts > 0; parts--) {
            for (int offset = 0; offset < PART; offset += UPDATE) {
                hasher.update(part, offset, UPDATE);
            }
            int size = hasher.checkpoint();
            if (stateSize != null) {
                stateSize[0] = size;
            }
        }
        return hasher.digest();
    }

    private static byte[] expected(byte[] part, int sizeMib) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        for (int parts = sizeMib / 16; parts > 0; parts--) {
            digest.update(part);
        }
        return digest.digest();
    }

    private static double median(List<Double> figures) {
        double[] sorted = figures.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static ClassLoader loader(String... paths) throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String path : paths) {
            urls.add(Path.of(path).toUri().toURL());
        }
        return new URLClassLoader(urls.toArray(URL[]::new), DigestBench.class.getClassLoader());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Supplier<Hasher>> hashers(ClassLoader loader, String className) throws Exception {
        return (Map<String, Supplier<Hasher>>) Class.forName(className, true, loader).getMethod("hashers")
                .invoke(null);
    }

    /** The version in a Maven artifact's file name, e.g. 1.81 in bcprov-jdk18on-1.81.jar. */
    private static String version(String jar) {
        String name = Path.of(jar).getFileName().toString();
        return name.substring(name.lastIndexOf('-') + 1, name.length() - ".jar".length());
    }

    private static final class JdkMessageDigest implements Hasher {

        private final MessageDigest digest;

        JdkMessageDigest() {
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void update(byte[] bytes, int offset, int length) {
            digest.update(bytes, offset, length);
        }

        @Override
        public int checkpoint() {
            return 0;
        }

        @Override
        public byte[] digest() {
            return digest.digest();
        }
    }
}
