package dev.relay.streaming.flow;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CreditPolicyUnitTests {

    private static final int CHUNK = 256 * 1024;
    private static final long WINDOW = 1024 * 1024;
    private final CreditPolicy policy = new CreditPolicy(CHUNK);

    @Test
    void theWindowIsCountedInWholeChunks() {
        assertThat(policy.windowCredits(WINDOW)).isEqualTo(4);
        assertThat(policy.windowCredits(100)).isEqualTo(1);
    }

    @Test
    void grantsTopUpTheWindowWhenThereIsRoom() {
        assertThat(policy.grantable(0, WINDOW, 10L * CHUNK, 100L * CHUNK, false)).isEqualTo(4);
        assertThat(policy.grantable(3, WINDOW, 10L * CHUNK, 100L * CHUNK, false)).isEqualTo(1);
        assertThat(policy.grantable(4, WINDOW, 10L * CHUNK, 100L * CHUNK, false)).isZero();
    }

    @Test
    void neverGrantsMoreFullChunksThanFitTheRoom() {
        assertThat(policy.grantable(0, WINDOW, 2L * CHUNK + 5, 100L * CHUNK, false)).isEqualTo(2);
        assertThat(policy.grantable(2, WINDOW, 2L * CHUNK + 5, 100L * CHUNK, false)).isZero();
        assertThat(policy.grantable(0, WINDOW, CHUNK - 1, 100L * CHUNK, false)).isZero();
    }

    @Test
    void whenTheRestOfTheFileFitsTheRoomDoesNotLimitCredit() {
        assertThat(policy.grantable(0, WINDOW, 100, 10, false)).isEqualTo(4);
        assertThat(policy.grantable(0, WINDOW, 100, 0, false)).isZero();
    }

    @Test
    void aPausedUploadGetsNothing() {
        assertThat(policy.grantable(0, WINDOW, 10L * CHUNK, 100L * CHUNK, true)).isZero();
    }
}
