package dev.relay.streaming.flow;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RatePacerUnitTests {

    private static final int CHUNK = 64 * 1024;
    private static final long SECOND = 1_000_000_000L;

    @Test
    void withoutACapEverythingIsAllowed() {
        RatePacer pacer = new RatePacer();
        assertThat(pacer.limited()).isFalse();
        assertThat(pacer.creditsAllowed(0, 100, CHUNK)).isEqualTo(Long.MAX_VALUE);
        assertThat(pacer.nanosUntilAllowed(0)).isZero();
    }

    @Test
    void keepsAQuarterSecondInFlightAndWaitsOutDebt() {
        RatePacer pacer = new RatePacer();
        long rate = 1024 * 1024;
        pacer.setRate(rate, 0);
        assertThat(pacer.creditsAllowed(0, 0, CHUNK)).isEqualTo(4);
        assertThat(pacer.creditsAllowed(0, 3, CHUNK)).isEqualTo(1);
        // A whole second's worth arrives at once: the bucket is in debt by three quarters of a second.
        pacer.consumed(rate, 0);
        assertThat(pacer.creditsAllowed(0, 0, CHUNK)).isZero();
        long wait = pacer.nanosUntilAllowed(0);
        assertThat(wait).isBetween(SECOND * 3 / 4, SECOND * 3 / 4 + 1_000);
        assertThat(pacer.creditsAllowed(wait, 0, CHUNK)).isEqualTo(4);
    }

    @Test
    void theAverageRateFollowsTheCapWhateverTheChunkSize() {
        for (int chunk : new int[]{16 * 1024, 256 * 1024}) {
            RatePacer pacer = new RatePacer();
            long rate = 500_000;
            pacer.setRate(rate, 0);
            long now = 0;
            long received = 0;
            long outstanding = 0;
            // Simulate: grant what is allowed, chunks arrive instantly, time jumps to the next allowed grant.
            while (now < 10 * SECOND) {
                long allowed = Math.min(pacer.creditsAllowed(now, outstanding, chunk), 64);
                for (long i = 0; i < allowed; i++) {
                    pacer.consumed(chunk, now);
                    received += chunk;
                }
                now += Math.max(pacer.nanosUntilAllowed(now), SECOND / 100);
            }
            double average = received / 10.0;
            assertThat(average).as("chunk %d", chunk).isBetween(rate * 0.9, rate * 1.1);
        }
    }

    @Test
    void removingTheCapLiftsIt() {
        RatePacer pacer = new RatePacer();
        pacer.setRate(1000, 0);
        pacer.consumed(1_000_000, 0);
        assertThat(pacer.creditsAllowed(0, 0, CHUNK)).isZero();
        pacer.setRate(0, 0);
        assertThat(pacer.creditsAllowed(0, 0, CHUNK)).isEqualTo(Long.MAX_VALUE);
    }
}
