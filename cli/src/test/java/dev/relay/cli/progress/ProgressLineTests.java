package dev.relay.cli.progress;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressLineTests {

    private static final long MIB = 1024 * 1024;

    @Test
    void sizesRatesAndDurationsReadLikeAFileManagers() {
        assertThat(Units.bytes(0)).isEqualTo("0 B");
        assertThat(Units.bytes(1023)).isEqualTo("1023 B");
        assertThat(Units.bytes(1024)).isEqualTo("1.00 KiB");
        assertThat(Units.bytes(5 * MIB + MIB / 2)).isEqualTo("5.50 MiB");
        assertThat(Units.bytes(12 * MIB)).isEqualTo("12.0 MiB");
        assertThat(Units.bytes(150 * MIB)).isEqualTo("150 MiB");
        assertThat(Units.bytes(3L << 40)).isEqualTo("3.00 TiB");
        assertThat(Units.rate(2.5 * MIB)).isEqualTo("2.50 MiB/s");
        assertThat(Units.percent(1, 3)).isEqualTo("33.3%");
        assertThat(Units.percent(999, 1000)).isEqualTo("99.9%");
        assertThat(Units.percent(9999, 10000)).as("never rounds up to 100").isEqualTo("99.9%");
        assertThat(Units.percent(0, 0)).isEqualTo("100.0%");
        assertThat(Units.duration(Duration.ofSeconds(59))).isEqualTo("0:59");
        assertThat(Units.duration(Duration.ofSeconds(3 * 3600 + 62))).isEqualTo("3:01:02");
    }

    @Test
    void theEtaIsWhatIsLeftAtTheCurrentSpeed() {
        assertThat(new ProgressLine(4 * MIB, 12 * MIB, 2 * MIB, null).eta()).isEqualTo(Duration.ofSeconds(4));
        assertThat(new ProgressLine(12 * MIB, 12 * MIB, 0, null).eta()).isEqualTo(Duration.ZERO);
        assertThat(new ProgressLine(1, 12 * MIB, 0, null).eta()).as("stalled").isNull();
    }

    @Test
    void thePlainLineHasBytesPercentageSpeedAndEta() {
        assertThat(new ProgressLine(5 * MIB, 12 * MIB, 1.75 * MIB, null).plain())
                .isEqualTo("5.00 MiB/12.0 MiB (41.6%) 1.75 MiB/s ETA 0:04");
        assertThat(new ProgressLine(5 * MIB, 12 * MIB, 0, null).plain()).endsWith("0 B/s ETA --:--");
        assertThat(new ProgressLine(5 * MIB, 12 * MIB, 0, "paused").plain()).endsWith("0 B/s paused");
    }

    @Test
    void theBarFillsItsShareOfTheWidthItIsGiven() {
        String bar = new ProgressLine(6 * MIB, 12 * MIB, MIB, null).bar(80);
        assertThat(bar).hasSize(80 - 1).startsWith("[").contains("]    50.0%  6.00 MiB/12.0 MiB  1.00 MiB/s  ETA 0:06");
        String inside = bar.substring(1, bar.indexOf(']'));
        assertThat(inside.chars().filter(c -> c == '#').count()).isEqualTo(inside.length() / 2);
        assertThat(new ProgressLine(12 * MIB, 12 * MIB, MIB, null).bar(80)).doesNotContain(".]");
        // Too narrow for a bar: the figures alone, cut to fit.
        assertThat(new ProgressLine(6 * MIB, 12 * MIB, MIB, null).bar(30)).hasSize(29).doesNotContain("[");
    }

    @Test
    void speedIsMeasuredOverARecentWindowAndFallsWhenNothingArrives() {
        SpeedMeter meter = new SpeedMeter(5_000_000_000L);
        long s = 1_000_000_000L;
        meter.record(0, 0);
        meter.record(s, MIB);
        meter.record(2 * s, 2 * MIB);
        assertThat(meter.bytesPerSecond(2 * s)).isEqualTo(MIB);
        // Paused: nothing for 2 s, the average over the window drops.
        assertThat(meter.bytesPerSecond(4 * s)).isEqualTo(MIB / 2.0);
        // Longer than the window without a sample: stalled.
        assertThat(meter.bytesPerSecond(8 * s)).isZero();
        // Old samples leave the window.
        meter.record(20 * s, 3 * MIB);
        meter.record(21 * s, 5 * MIB);
        assertThat(meter.bytesPerSecond(21 * s)).isEqualTo(2.0 * MIB);
        // A position that goes back (a retried channel) starts the measurement over.
        meter.record(22 * s, MIB);
        assertThat(meter.bytesPerSecond(22 * s)).isZero();
        meter.record(23 * s, 2 * MIB);
        assertThat(meter.bytesPerSecond(23 * s)).isEqualTo(MIB);
    }
}
