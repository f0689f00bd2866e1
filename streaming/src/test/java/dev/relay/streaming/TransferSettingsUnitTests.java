package dev.relay.streaming;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransferSettingsUnitTests {

    private static final long MIB = 1024L * 1024;
    private static final long GIB = 1024 * MIB;

    private static TransferSettings settings(long partSize, long preferred) {
        return new TransferSettings(256 * 1024, 256 * 1024, 16 * MIB, partSize, preferred, 10_000, 1024 * GIB,
                2048 * GIB, 20, Duration.ofMinutes(2), Duration.ofHours(24), 64 * GIB, false);
    }

    @Test
    void aFileThatFitsKeepsTheConfiguredSizes() {
        TransferSettings s = settings(32 * MIB, 16 * MIB);
        assertThat(s.partSizeFor(GIB)).isEqualTo(32 * MIB);
        assertThat(s.preferredPartFor(GIB)).isEqualTo(16 * MIB);
    }

    @Test
    void aLargeFileGrowsThePreferredLengthBeforeThePartSize() {
        TransferSettings s = settings(32 * MIB, 16 * MIB);
        // 200 GiB in 9,000 parts (a tenth of S3's 10,000 numbers is kept for interrupted writers) needs 22.76 MiB:
        // 23 MiB.
        assertThat(s.preferredPartFor(200 * GIB)).isEqualTo(23 * MIB);
        assertThat(s.partSizeFor(200 * GIB)).isEqualTo(32 * MIB);
        // 500 GiB needs 56.9 MiB: both grow to 57 MiB.
        assertThat(s.preferredPartFor(500 * GIB)).isEqualTo(57 * MIB);
        assertThat(s.partSizeFor(500 * GIB)).isEqualTo(57 * MIB);
    }

    @Test
    void thePreferredLengthNeverExceedsThePartSize() {
        TransferSettings s = settings(5 * MIB, 16 * MIB);
        assertThat(s.preferredPartFor(GIB)).isEqualTo(5 * MIB);
    }

    @Test
    void aPreferredLengthBelowS3sMinimumIsRefused() {
        assertThatThrownBy(() -> settings(32 * MIB, 4 * MIB)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 5 MiB");
    }
}
