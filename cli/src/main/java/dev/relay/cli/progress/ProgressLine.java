package dev.relay.cli.progress;

import java.time.Duration;

/**
 * The text of a progress display, from a snapshot of a transfer: a bar for terminals, a plain line for logs.
 *
 * @param done           bytes transferred (absolute position in the file)
 * @param total          the file's size
 * @param bytesPerSecond current speed
 * @param status         a word shown instead of the ETA (e.g. "paused", "retrying"), or null
 */
public record ProgressLine(long done, long total, double bytesPerSecond, String status) {

    /** Time left at the current speed; empty when it cannot be estimated (stalled, paused). */
    public Duration eta() {
        long left = Math.max(0, total - done);
        if (left == 0) {
            return Duration.ZERO;
        }
        if (bytesPerSecond < 1) {
            return null;
        }
        return Duration.ofMillis((long) Math.ceil(left * 1000 / bytesPerSecond));
    }

    /**
     * {@code [#######.......]  41.7%  5.00 MiB/12.0 MiB  3.10 MiB/s  ETA 0:03}, one character narrower than
     * {@code columns} (writing the last column makes some terminals wrap).
     */
    public String bar(int columns) {
        String tail = String.format("%7s  %s/%s  %s  %s", Units.percent(done, total), Units.bytes(done),
                Units.bytes(total), Units.rate(bytesPerSecond), statusOrEta());
        int barWidth = columns - 1 - tail.length() - 4;
        if (barWidth < 10) {
            return truncate(tail, columns - 1);
        }
        int filled = total <= 0 ? barWidth : (int) Math.min(barWidth, barWidth * done / total);
        return "[" + "#".repeat(filled) + ".".repeat(barWidth - filled) + "]  " + tail;
    }

    /** {@code 5.00 MiB/12.0 MiB (41.7%) 3.10 MiB/s ETA 0:03}: one self-contained line for logs and scripts. */
    public String plain() {
        return String.format("%s/%s (%s) %s %s", Units.bytes(done), Units.bytes(total), Units.percent(done, total),
                Units.rate(bytesPerSecond), statusOrEta());
    }

    private String statusOrEta() {
        if (status != null) {
            return status;
        }
        Duration eta = eta();
        return eta == null ? "ETA --:--" : "ETA " + Units.duration(eta);
    }

    private static String truncate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, Math.max(0, max));
    }
}
