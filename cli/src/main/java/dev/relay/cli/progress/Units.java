package dev.relay.cli.progress;

import java.time.Duration;
import java.util.Locale;

/** Human-readable sizes, rates and durations (binary units, as file managers and curl show them). */
public final class Units {

    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

    private Units() {
    }

    public static String bytes(long count) {
        if (count < 1024) {
            return count + " B";
        }
        double value = count;
        int unit = 0;
        while (value >= 1024 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        // Three significant digits keep the bar's width steady while it runs.
        String number = value >= 100 ? String.format(Locale.ROOT, "%.0f", value)
                : value >= 10 ? String.format(Locale.ROOT, "%.1f", value)
                : String.format(Locale.ROOT, "%.2f", value);
        return number + " " + UNITS[unit];
    }

    public static String rate(double bytesPerSecond) {
        return bytes(Math.round(bytesPerSecond)) + "/s";
    }

    public static String percent(long done, long total) {
        if (total <= 0) {
            return "100.0%";
        }
        // Floor, so 100.0% only shows when everything is there.
        double value = Math.floor(1000.0 * done / total) / 10;
        return String.format(Locale.ROOT, "%.1f%%", value);
    }

    /** h:mm:ss or m:ss. */
    public static String duration(Duration duration) {
        long seconds = Math.max(0, duration.toSeconds());
        long h = seconds / 3600;
        long m = seconds / 60 % 60;
        long s = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s)
                : String.format(Locale.ROOT, "%d:%02d", m, s);
    }
}
