import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Section 12 of the report: chat at load and a mass reconnect on one node ({@link ChatLoad}'s figures). */
final class ChatReport {

    /** Issue #19 §4's targets for one node. */
    private static final int TARGET_RATE = 1000;
    private static final int TARGET_USERS = 5000;
    private static final double TARGET_P99_MS = 50;
    private static final double TARGET_SETTLE_SECONDS = 10;

    private final Report report;
    private final Results results;

    ChatReport(Report report) {
        this.report = report;
        this.results = report.results;
    }

    void render() {
        int users = (int) results.median("chat.users");
        report.line("");
        report.line("### 12. Chat at load: %d users on one node", users);
        report.line("%s", report.options.getOrDefault("chat-setup", ""));
        report.line("");
        report.line("%d users registered over HTTP (in %s s), each with one RSocket connection and its events stream"
                        + " (below), then a warm-up: %s round(s) of the highest rate, not recorded, until the service's"
                        + " JIT compiled for at most 5 %% of a round (at most five). Pairs of users exchange"
                        + " text messages at each aggregate rate for %s s, round robin over the pairs, on an open-loop"
                        + " schedule: each message is sent at its planned time whatever came back before, so a node"
                        + " that falls behind shows it as latency. Latency: from the planned send to the recipient's"
                        + " MESSAGE event. Lost: acknowledged by the service but not delivered within %s s after the"
                        + " last send (late ones are counted below; never delivered, in bold, fails the run); a rate is stopped early when more than 5 s of messages are in flight. CPU in"
                        + " cores over the sending time; heap: used at the end of the sends (jcmd GC.heap_info,"
                        + " garbage included) / live after the deliveries (after a full GC). One run, whatever"
                        + " BENCH_RUNS says.", users, Report.number(results.median("chat.registerSeconds")),
                Report.number0(results.median("chat.warmupRounds")),
                Report.number0(results.median("chat.seconds")), Report.number0(results.median("chat.grace")));
        report.line("");
        report.line("| msg/s asked | sent | delivered | lost | refused (codes) | p50 ms | p99 ms | max ms |"
                + " delivered msg/s | service CPU | DB CPU | harness CPU | heap used / live MiB |");
        report.line("|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        List<String> notes = new ArrayList<>();
        for (double r : results.runs("chat.rates")) {
            int rate = (int) r;
            String key = "chat." + rate + ".";
            if (!report.measured(key + "sent")) {
                continue;
            }
            report.line("| %d | %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |", rate,
                    count(key + "sent"), results.median(key + "stopped") > 0 ? " (stopped)" : "",
                    count(key + "delivered"), count(key + "lost"), refused(key), Report.number(results.median(key
                            + "p50")), Report.number(results.median(key + "p99")),
                    Report.number(results.median(key + "max")), Report.number0(results.median(key + "sustained")),
                    Report.number2(results.median(key + "cpu.service")), Report.number2(results.median(key
                            + "cpu.db")), Report.number2(results.median(key + "cpu.client")),
                    Report.number0(results.median(key + "heapUsedMiB")),
                    Report.number0(results.median(key + "heapLiveMiB")));
            if (results.median(key + "stopped") > 0) {
                notes.add(String.format(Locale.ROOT, "%d msg/s was stopped after %s s of its %s planned messages:"
                                + " the backlog passed 5 s of messages.", rate,
                        Report.number(results.median(key + "sendSeconds")), count(key + "planned")));
            }
            if (results.median(key + "unanswered") > 0) {
                notes.add(String.format(Locale.ROOT, "%d msg/s: %s sends had no answer within the grace.", rate,
                        count(key + "unanswered")));
            }
            if (results.median(key + "late") > 0) {
                notes.add(String.format(Locale.ROOT, "%d msg/s: %s messages were delivered after the grace (among"
                        + " the lost or unanswered above: queued, not dropped).", rate, count(key + "late")));
            }
            if (results.median(key + "neverDelivered") > 0) {
                notes.add(String.format(Locale.ROOT, "**%d msg/s: %s acknowledged messages were never delivered** (not"
                        + " even within a second grace after the last rate).", rate, count(key + "neverDelivered")));
            }
            if (results.median(key + "duplicates") > 0) {
                notes.add(String.format(Locale.ROOT, "%d msg/s: %s messages were delivered twice to the same"
                        + " stream.", rate, count(key + "duplicates")));
            }
            if (results.median(key + "lagP99") > 10) {
                notes.add(String.format(Locale.ROOT, "%d msg/s: the harness sent late (p99 %s ms after the planned"
                        + " time): part of the latency is the client's.", rate, Report.number(results.median(key
                        + "lagP99"))));
            }
        }
        List<String> phases = new ArrayList<>(List.of("setup"));
        for (double r : results.runs("chat.rates")) {
            phases.add(Integer.toString((int) r));
        }
        phases.add("reconnect");
        List<String> failed = new ArrayList<>();
        for (String phase : phases) {
            String prefix = "chat." + phase + ".streamFailures.";
            List<String> codes = results.keys(prefix).stream()
                    .map(k -> k.substring(prefix.length()) + " " + count(k)).toList();
            if (!codes.isEmpty()) {
                failed.add((phase.equals("setup") || phase.equals("reconnect") ? phase : phase + " msg/s") + ": "
                        + String.join(", ", codes));
            }
        }
        if (!failed.isEmpty()) {
            notes.add("Event streams (and, as connect-..., connections) that failed, each opened again from its last"
                    + " event after 0.5 to 1.5 s, at most 3 times: " + String.join("; ", failed) + ".");
        }
        notes.forEach(note -> {
            report.line("");
            report.line("%s", note);
        });

        report.line("");
        report.line("Connecting all users at once. First connect: connections only (the service idle again %s s"
                        + " after the last was up), the event streams opened after that, so that the setup sets off no"
                        + " presence storm to wait for. Reconnect: every connection closed (the service idle again"
                        + " after %s s), then all opened at once, each with its event stream, as clients do. Caught"
                        + " up: the stream replayed its last event (opened with since = that event's id - 1, as a"
                        + " client resumes); settled: no PRESENCE event for 1 s (time of the last one, from the start"
                        + " of the reconnect); waited for at most %s s. CPU over the whole phase.",
                Report.number(results.median("chat.connect.idleSeconds")),
                Report.number(results.median("chat.reconnect.closeIdleSeconds")),
                Report.number0(results.median("chat.settleMax")));
        report.line("");
        report.line("| phase | all connected, s | every stream caught up, s (median) | PRESENCE settled, s |"
                + " PRESENCE events (per connection) | service CPU | DB CPU | harness CPU | heap used MiB |");
        report.line("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        phase("first connect", "chat.connect.", users);
        phase("reconnect of all at once", "chat.reconnect.", users);

        double witnessed = results.median("chat.reconnect.witnessed");
        if (witnessed < users) {
            report.line("");
            report.line("%s of the %d users had no message yet to replay: \"caught up\" covers the others' streams.",
                    Report.number0(users - witnessed), users);
        }
        report.line("");
        report.line("Against issue #19 §4's targets (one node): %s; %s.", p99Target(users), settleTarget(users));
    }

    private void phase(String label, String key, int users) {
        if (!report.measured(key + "connectedSeconds")) {
            return;
        }
        double presence = results.median(key + "presence");
        String open = report.measured(key + "openSeconds") ? Report.number2(results.median(key + "openSeconds"))
                + " (" + Report.number2(results.median(key + "openMedianSeconds")) + ")" : "n/a";
        double notOpen = results.median(key + "notOpen") + results.median(key + "notConnected");
        report.line("| %s | %s | %s%s | %s | %s | %s | %s | %s | %s |", label,
                Report.number2(results.median(key + "connectedSeconds")), open,
                notOpen > 0 ? String.format(Locale.ROOT, ", %.0f never", notOpen) : "",
                !report.measured(key + "settleSeconds") ? "n/a (no streams)"
                        : Double.isNaN(results.median(key + "settleSeconds")) ? "not within the wait"
                        : Report.number2(results.median(key + "settleSeconds")),
                report.measured(key + "presence") ? Report.number0(presence) + " (" + Report.number0(presence / users)
                        + ")" : "n/a",
                Report.number2(results.median(key + "cpu.service")), Report.number2(results.median(key + "cpu.db")),
                Report.number2(results.median(key + "cpu.client")), Report.number0(results.median(key
                        + "heapUsedMiB")));
    }

    private String p99Target(int users) {
        String key = "chat." + TARGET_RATE + ".";
        if (!report.measured(key + "p99")) {
            return String.format(Locale.ROOT, "p99 < %.0f ms at %d msg/s with %d users: not measured (no %d msg/s"
                    + " rate)", TARGET_P99_MS, TARGET_RATE, TARGET_USERS, TARGET_RATE);
        }
        double p99 = results.median(key + "p99");
        boolean met = p99 < TARGET_P99_MS && results.median(key + "lost") == 0 && results.median(key + "stopped") == 0;
        return String.format(Locale.ROOT, "p99 < %.0f ms at %d msg/s with %d users: **%s ms with %d users, %s**",
                TARGET_P99_MS, TARGET_RATE, TARGET_USERS, Report.number(p99), users, verdict(met, users));
    }

    private String settleTarget(int users) {
        double settle = results.median("chat.reconnect.settleSeconds");
        if (!report.measured("chat.reconnect.settleSeconds")) {
            return "a mass reconnect settles within 10 s: not measured";
        }
        return String.format(Locale.ROOT, "a mass reconnect of %d users settles within %.0f s: **%s with %d users,"
                        + " %s**", TARGET_USERS, TARGET_SETTLE_SECONDS,
                Double.isNaN(settle) ? "not within " + Report.number0(results.median("chat.settleMax")) + " s"
                        : Report.number2(settle) + " s", users,
                verdict(!Double.isNaN(settle) && settle < TARGET_SETTLE_SECONDS, users));
    }

    /** Met or not; with fewer users than the target's a figure within it says little (the storm grows as N²). */
    private static String verdict(boolean within, int users) {
        if (users >= TARGET_USERS) {
            return within ? "met" : "not met";
        }
        return within ? "within the target, but with fewer users than it names" : "not met even with fewer users";
    }

    private String count(String key) {
        return Report.number0(results.median(key));
    }

    private String refused(String key) {
        List<String> codes = results.keys(key + "refused.").stream()
                .map(k -> k.substring((key + "refused.").length()) + " " + count(k)).toList();
        return codes.isEmpty() ? count(key + "refused") : count(key + "refused") + " (" + String.join(", ", codes)
                + ")";
    }
}
