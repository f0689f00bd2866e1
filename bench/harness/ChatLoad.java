import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * The chat section (issue #19 §4, "Chat at load"): the service as a black box under chat traffic of many users.
 * {@code --users} N users (registered over HTTP) each hold one connection with its {@code events} stream; pairs of
 * them (2p, 2p+1) exchange text messages at each of {@code --rates} aggregate msg/s for {@code --seconds}. The
 * schedule is open-loop: message k is sent at start + k/rate whatever came back before, so a node that falls behind
 * shows it as latency (from that planned time to the recipient's MESSAGE event), not as a slower sender. Per rate:
 * sent, delivered, lost (acknowledged, not delivered within {@code --grace} seconds), refused (by error code),
 * p50/p99/max, delivered msg/s, CPU of the service, the database and this JVM, the service's heap. Then a mass
 * reconnect: every connection closed, then all opened at once, timed until every stream replayed its last event and
 * until PRESENCE events stop (none for 1 s). Returns false (exit 3) when an acknowledged message was never delivered
 * (not even after a second grace) at the lowest rate or at a rate the node sustained; latency targets never fail it:
 * they are what is measured.
 */
final class ChatLoad {

    /** More messages in flight than this many seconds' worth stops a step: past saturation the backlog only grows. */
    static final double BACKLOG_SECONDS = 5;
    private static final long QUIET = 1_000_000_000L;

    private final Results results;
    private final Map<String, String> options;
    private final List<ChatStep> steps = new ArrayList<>();
    /** The first steps, not measured. */
    private int warmups;
    /** The longest wait for connections, streams and presence to settle, in ns. */
    private long settleMax;

    ChatLoad(Results results, Map<String, String> options) {
        this.results = results;
        this.options = options;
    }

    boolean measure() throws Exception {
        int n = Integer.parseInt(option("users")) & ~1;
        if (n < 2) {
            throw new IllegalArgumentException("--users must be at least 2");
        }
        int[] rates = Arrays.stream(option("rates").split(",")).mapToInt(Integer::parseInt).toArray();
        if (Arrays.stream(rates).distinct().count() != rates.length || Arrays.stream(rates).anyMatch(r -> r <= 0)) {
            throw new IllegalArgumentException("--rates must be distinct positive msg/s, got " + option("rates"));
        }
        double seconds = Double.parseDouble(option("seconds"));
        double grace = Double.parseDouble(option("grace"));
        settleMax = (long) (Double.parseDouble(option("settle-max")) * 1e9);
        long servicePid = Long.parseLong(option("service-pid"));
        ServiceMemory memory = new ServiceMemory(servicePid);
        ProcessCpu cpu = new ProcessCpu().watch("service", servicePid)
                .watch("db", Long.parseLong(options.getOrDefault("db-pid", "0")));
        results.add("chat.users", n);
        results.add("chat.seconds", seconds);
        results.add("chat.grace", grace);
        results.add("chat.settleMax", settleMax / 1e9);
        Arrays.stream(rates).forEach(r -> results.add("chat.rates", r));

        long registering = System.nanoTime();
        try (ChatUsers users = ChatUsers.register(URI.create(option("service-url")), n)) {
            results.add("chat.registerSeconds", (System.nanoTime() - registering) / 1e9);
            System.out.printf(Locale.ROOT, "  chat  %d users registered in %.1f s%n", n,
                    (System.nanoTime() - registering) / 1e9);
            users.deliverTo(this::delivered);
            // Connections first, streams once their presence announcements are over: the setup's own presence
            // storm (N² events with every stream open) would take minutes and is what the reconnect measures.
            connect(users, "connect", false, cpu, memory);
            results.add("chat.connect.idleSeconds", awaitIdle(cpu));
            users.openStreams();
            if (!users.awaitOpen(settleMax)) {
                throw new IllegalStateException(users.pendingConnections() + " connections and "
                        + users.pendingStreams() + " streams did not open; failures: " + users.streamFailures());
            }
            // Each new stream reads its log (two queries): N of them keep the service busy for a while.
            results.add("chat.streams.idleSeconds", awaitIdle(cpu));
            // Rounds of the highest rate before the measured ones (its batches take paths a low rate never does),
            // until the service's JIT compiled for at most 5 % of a round, or after five: the figures are those of a
            // running node, not of its first minute.
            int highest = Arrays.stream(rates).max().orElseThrow();
            JitActivity jit = new JitActivity().watch("service", servicePid);
            double compiling;
            do {
                Map<String, Long> before = jit.sample();
                long started = System.nanoTime();
                runStep(users, highest, (int) Math.round(highest * seconds), -1, cpu, memory);
                compiling = JitActivity.shares(before, jit.sample(), (System.nanoTime() - started) / 1e6)
                        .get("service");
                warmups++;
                System.out.printf(Locale.ROOT, "  chat  warm-up round %d: the service compiled for %.0f %% of it%n",
                        warmups, compiling * 100);
            } while (compiling > 0.05 && warmups < 5);
            results.add("chat.warmupRounds", warmups);
            users.recordFailures(results, "chat.setup.streamFailures.");
            for (int rate : rates) {
                ChatStep step = runStep(users, rate, (int) Math.round(rate * seconds), grace, cpu, memory);
                step.record(results);
                users.recordFailures(results, "chat." + rate + ".streamFailures.");
                results.save();
            }
            // Whatever is still queued gets one more grace: a message is lost for good only if it never comes.
            long drained = System.nanoTime() + (long) (grace * 1e9);
            while (steps.stream().skip(warmups).anyMatch(s -> s.neverDelivered() > 0) && System.nanoTime() < drained) {
                Thread.sleep(50);
            }
            users.close();
            // Deliveries that came after their step's grace, until now (the reconnect replays one event each).
            steps.stream().skip(warmups).forEach(s -> {
                results.add("chat." + (int) s.rate + ".late", s.late.get());
                results.add("chat." + (int) s.rate + ".neverDelivered", s.neverDelivered());
            });
            users.deliverTo((text, at) -> { });
            // The closes' offline announcements finish before the reconnect is timed.
            double idle = awaitIdle(cpu);
            results.add("chat.reconnect.closeIdleSeconds", idle);
            System.out.printf(Locale.ROOT, "  chat  %d connections closed; the service idle after %.1f s%n", n, idle);
            connect(users, "reconnect", true, cpu, memory);
            users.recordFailures(results, "chat.reconnect.streamFailures.");
            results.add("chat.unreadableEvents", users.unreadableEvents());
            users.close();
        }
        results.save();
        boolean ok = true;
        int lowest = Arrays.stream(rates).min().orElseThrow();
        for (int i = 0; i < steps.size(); i++) {
            ChatStep s = steps.get(i);
            // Late is not lost: on a machine too busy for even the lowest rate, messages queue and come later.
            if (i >= warmups && s.neverDelivered() > 0 && (s.rate == lowest || s.sustained())) {
                System.out.printf(Locale.ROOT, "  chat  FAILED: %d messages acknowledged at %d msg/s (%s) were"
                        + " never delivered%n", s.neverDelivered(), (int) s.rate, s.rate == lowest ? "the lowest rate"
                        : "a rate the node sustained");
                ok = false;
            }
        }
        return ok;
    }

    /**
     * Opens every connection at once (with {@code resume}, each with its events stream) and times it, and the
     * PRESENCE events it sets off, under chat.{@code name}.
     */
    private void connect(ChatUsers users, String name, boolean resume, ProcessCpu cpu, ServiceMemory memory)
            throws Exception {
        long presenceBefore = users.presenceEvents();
        Map<String, Double> cpuBefore = cpu.sample();
        long started = System.nanoTime();
        users.openAll(resume);
        boolean open = users.awaitOpen(settleMax);
        // Without streams no PRESENCE event reaches the harness: nothing to wait for. One limit for the whole phase.
        long lastPresence = resume ? users.awaitPresenceSettled(QUIET,
                Math.max(QUIET, settleMax - (System.nanoTime() - started))) : 0;
        long settled = System.nanoTime();
        Map<String, Double> cpuAfter = cpu.sample();
        String key = "chat." + name + ".";
        double connected = users.lastConnected() == 0 ? Double.NaN : (users.lastConnected() - started) / 1e9;
        results.add(key + "connectedSeconds", connected);
        results.add(key + "notConnected", users.pendingConnections());
        if (resume) {
            results.add(key + "openSeconds", users.lastOpened() == 0 ? Double.NaN
                    : (users.lastOpened() - started) / 1e9);
            results.add(key + "openMedianSeconds", users.medianOpenedSeconds(started));
            results.add(key + "notOpen", users.pendingStreams());
            results.add(key + "witnessed", users.witnessed());
        }
        double settle = lastPresence < 0 ? Double.NaN : Math.max(0, lastPresence - started) / 1e9;
        long presence = users.presenceEvents() - presenceBefore;
        if (resume) {
            results.add(key + "settleSeconds", settle);
            results.add(key + "presence", presence);
        }
        double wall = (settled - started) / 1e9;
        results.add(key + "cpu.service", used(cpuBefore, cpuAfter, "service") / wall);
        results.add(key + "cpu.db", used(cpuBefore, cpuAfter, "db") / wall);
        results.add(key + "cpu.client", used(cpuBefore, cpuAfter, "client") / wall);
        results.add(key + "heapUsedMiB", memory.heapUsedMiB());
        results.save();
        System.out.printf(Locale.ROOT, "  chat  %s of %d users at once: all connected after %.2f s%s%s%n", name,
                users.size(), connected, resume ? String.format(Locale.ROOT, ", every stream caught up after %.2f s;"
                        + " PRESENCE %s (%d events)", (users.lastOpened() - started) / 1e9, lastPresence < 0
                        ? String.format(Locale.ROOT, "still coming after %.0f s", (settled - started) / 1e9)
                        : String.format(Locale.ROOT, "settled after %.2f s", settle), presence) : " (no streams yet)",
                open ? "" : " (NOT ALL within the time allowed)");
    }

    /**
     * Sends {@code total} messages at {@code rate} msg/s on the open-loop schedule, then waits up to {@code grace}
     * seconds for the deliveries (a negative grace: the warm-up, waited for up to a minute, heap not measured).
     */
    private ChatStep runStep(ChatUsers users, double rate, int total, double grace, ProcessCpu cpu, ServiceMemory memory)
            throws Exception {
        ChatStep step = new ChatStep(steps.size(), rate, total);
        step.warmup = grace < 0;
        steps.add(step);
        int pairs = users.size() / 2;
        long backlog = Math.max(500, Math.round(rate * BACKLOG_SECONDS));
        memory.resetPeak();
        Map<String, Double> cpuBefore = cpu.sample();
        long start = System.nanoTime() + 20_000_000L;
        step.start = start;
        int k = 0;
        for (; k < total; k++) {
            long planned = step.planned(k);
            long wait = planned - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            long now = System.nanoTime();
            step.lag[k] = now - planned;
            if (k - step.settled() > backlog) {
                step.stoppedAt = k;
                break;
            }
            // Round robin over the pairs; each pair's direction alternates from one round to the next.
            int pair = k % pairs;
            int from = 2 * pair + (k / pairs) % 2;
            int to = from ^ 1;
            int message = k;
            users.send(from, to, "s" + step.index + "-" + k)
                    .subscribe(null, e -> step.answered(message, e), () -> step.answered(message, null));
        }
        step.sent = k;
        long sendEnd = System.nanoTime();
        step.end = sendEnd;
        Map<String, Double> cpuAfter = cpu.sample();
        double wall = (sendEnd - start) / 1e9;
        step.cpuService = used(cpuBefore, cpuAfter, "service") / wall;
        step.cpuDb = used(cpuBefore, cpuAfter, "db") / wall;
        step.cpuClient = used(cpuBefore, cpuAfter, "client") / wall;
        step.heapUsedMiB = grace < 0 ? Double.NaN : memory.heapUsedMiB();
        long deadline = sendEnd + (long) ((grace < 0 ? 60 : grace) * 1e9);
        while (step.settled() < step.sent && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        step.closed = true;
        if (grace >= 0) {
            step.rssPeakMiB = memory.peakMiB();
            step.heapLiveMiB = memory.liveHeapMiB();
        }
        System.out.println("  chat  " + step.summary());
        return step;
    }

    /** Waits until the service uses under a quarter of a core for two half-second samples (at most a minute). */
    private static double awaitIdle(ProcessCpu cpu) throws IOException, InterruptedException {
        long started = System.nanoTime();
        int quiet = 0;
        double last = cpu.sample().get("service");
        while (quiet < 2 && System.nanoTime() - started < 60_000_000_000L) {
            Thread.sleep(500);
            double now = cpu.sample().get("service");
            quiet = now - last < 0.125 ? quiet + 1 : 0;
            last = now;
        }
        return (System.nanoTime() - started) / 1e9;
    }

    private static double used(Map<String, Double> before, Map<String, Double> after, String process) {
        return after.containsKey(process) ? after.get(process) - before.getOrDefault(process, 0.0) : Double.NaN;
    }

    /** A MESSAGE event with one of our texts, "s<step>-<k>", reached its recipient. */
    private void delivered(String text, long arrived) {
        int dash = text.indexOf('-');
        if (!text.startsWith("s") || dash < 0) {
            return;
        }
        int index = Integer.parseInt(text.substring(1, dash));
        if (index < steps.size()) {
            steps.get(index).delivered(Integer.parseInt(text.substring(dash + 1)), arrived);
        }
    }

    private String option(String name) {
        String value = options.get(name);
        if (value == null) {
            throw new IllegalArgumentException("Missing option --" + name);
        }
        return value;
    }
}
