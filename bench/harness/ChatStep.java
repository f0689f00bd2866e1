import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/** One rate's messages: planned times, arrivals, answers. Written by Netty threads, read by the sender. */
final class ChatStep {

    /** A p99 under this (and nothing refused, stopped or unanswered) counts as a rate the node sustained. */
    private static final double SUSTAINED_P99_MS = 1000;

    final int index;
    final double rate;
    final long[] lag;
    final AtomicLongArray arrived;
    final AtomicLongArray answered;
    final AtomicInteger delivered = new AtomicInteger();
    final AtomicInteger answeredOk = new AtomicInteger();
    final AtomicInteger duplicates = new AtomicInteger();
    final AtomicInteger late = new AtomicInteger();
    final Map<String, AtomicInteger> refused = new ConcurrentHashMap<>();
    volatile long start;
    volatile boolean closed;
    long end;
    int sent;
    int stoppedAt = -1;
    double cpuService;
    double cpuDb;
    double cpuClient;
    double heapUsedMiB = Double.NaN;
    double heapLiveMiB = Double.NaN;
    double rssPeakMiB = Double.NaN;

    boolean warmup;

    ChatStep(int index, double rate, int total) {
        this.index = index;
        this.rate = rate;
        lag = new long[total];
        arrived = new AtomicLongArray(total);
        answered = new AtomicLongArray(total);
    }

    long planned(int k) {
        return start + Math.round(k * 1e9 / rate);
    }

    void answered(int k, Throwable error) {
        if (!answered.compareAndSet(k, 0, 1)) {
            return;
        }
        if (error == null) {
            answeredOk.incrementAndGet();
        } else {
            refused.computeIfAbsent(ChatUsers.reason(error), c -> new AtomicInteger()).incrementAndGet();
        }
    }

    void delivered(int k, long at) {
        if (k < 0 || k >= arrived.length()) {
            return;
        }
        if (closed) {
            // After the grace: counted apart, kept out of the step's figures.
            late.incrementAndGet();
        } else if (!arrived.compareAndSet(k, 0, at)) {
            duplicates.incrementAndGet();
        } else {
            delivered.incrementAndGet();
        }
    }

    /** Messages whose fate is known: delivered, or refused. */
    int settled() {
        return delivered.get() + refusedCount();
    }

    int refusedCount() {
        return refused.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /** Acknowledged by the service, not delivered within the grace. */
    int lost() {
        return Math.max(0, answeredOk.get() - delivered.get());
    }

    /** Acknowledged and not delivered at all so far, within the grace or after it. */
    int neverDelivered() {
        return Math.max(0, answeredOk.get() - delivered.get() - late.get());
    }

    int unanswered() {
        return sent - answeredOk.get() - refusedCount();
    }

    boolean sustained() {
        return stoppedAt < 0 && refusedCount() == 0 && unanswered() == 0 && percentile(0.99) < SUSTAINED_P99_MS;
    }

    /** Delivery latency in ms (from the planned send) at quantile {@code p}, nearest rank; NaN if none. */
    double percentile(double p) {
        long[] ms = new long[sent];
        int n = 0;
        for (int k = 0; k < sent; k++) {
            long at = arrived.get(k);
            if (at != 0) {
                ms[n++] = at - planned(k);
            }
        }
        if (n == 0) {
            return Double.NaN;
        }
        Arrays.sort(ms, 0, n);
        return ms[Math.max(0, (int) Math.ceil(p * n) - 1)] / 1e6;
    }

    /** Deliveries within the sending window, per second of it. */
    double sustainedRate() {
        int n = 0;
        for (int k = 0; k < sent; k++) {
            long at = arrived.get(k);
            n += at != 0 && at <= end ? 1 : 0;
        }
        return n / ((end - start) / 1e9);
    }

    double lagP99Ms() {
        long[] sorted = Arrays.copyOf(lag, sent);
        Arrays.sort(sorted);
        return sent == 0 ? Double.NaN : sorted[Math.max(0, (int) Math.ceil(0.99 * sent) - 1)] / 1e6;
    }

    String refusedCodes() {
        return new TreeMap<>(refused).toString();
    }

    void record(Results results) {
        String key = "chat." + (int) rate + ".";
        results.add(key + "planned", lag.length);
        results.add(key + "sent", sent);
        results.add(key + "answeredOk", answeredOk.get());
        results.add(key + "delivered", delivered.get());
        results.add(key + "lost", lost());
        results.add(key + "unanswered", unanswered());
        results.add(key + "refused", refusedCount());
        refused.forEach((code, count) -> results.add(key + "refused." + code, count.get()));
        results.add(key + "duplicates", duplicates.get());
        results.add(key + "p50", percentile(0.5));
        results.add(key + "p99", percentile(0.99));
        results.add(key + "max", percentile(1.0));
        results.add(key + "sustained", sustainedRate());
        results.add(key + "sendSeconds", (end - start) / 1e9);
        results.add(key + "stopped", stoppedAt < 0 ? 0 : 1);
        results.add(key + "sustainedStep", sustained() ? 1 : 0);
        results.add(key + "lagP99", lagP99Ms());
        results.add(key + "cpu.service", cpuService);
        results.add(key + "cpu.db", cpuDb);
        results.add(key + "cpu.client", cpuClient);
        results.add(key + "heapUsedMiB", heapUsedMiB);
        results.add(key + "heapLiveMiB", heapLiveMiB);
        results.add(key + "rssPeakMiB", rssPeakMiB);
    }

    String summary() {
        String name = warmup ? "warm-up" : (int) rate + " msg/s";
        return String.format(Locale.ROOT, "%s: %d sent%s, %d delivered, %d lost, %d unanswered, refused %s;"
                        + " latency p50 %.1f ms, p99 %.1f ms, max %.1f ms; %.0f msg/s delivered; CPU service %.2f,"
                        + " db %.2f, harness %.2f cores; heap %.0f MiB used, %.0f live; send lag p99 %.1f ms",
                name, sent, stoppedAt < 0 ? "" : " (STOPPED: backlog past " + ChatLoad.BACKLOG_SECONDS + " s of messages)",
                delivered.get(), lost(), unanswered(), refusedCodes(), percentile(0.5), percentile(0.99),
                percentile(1.0), sustainedRate(), cpuService, cpuDb, cpuClient, heapUsedMiB, heapLiveMiB,
                lagP99Ms());
    }
}
