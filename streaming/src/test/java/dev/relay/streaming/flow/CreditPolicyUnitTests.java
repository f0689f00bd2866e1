package dev.relay.streaming.flow;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CreditPolicyUnitTests {

    private static final int CHUNK = 256 * 1024;
    private final CreditPolicy policy = CreditPolicy.of(CHUNK, 1024 * 1024);

    @Test
    void theWindowIsCountedInWholeChunks() {
        assertThat(policy.windowCredits()).isEqualTo(4);
        assertThat(CreditPolicy.of(CHUNK, 100).windowCredits()).isEqualTo(1);
    }

    @Test
    void grantsTopUpTheWindowWhenThereIsRoom() {
        assertThat(policy.grantable(0, 10L * CHUNK, 100L * CHUNK, false)).isEqualTo(4);
        assertThat(policy.grantable(3, 10L * CHUNK, 100L * CHUNK, false)).isEqualTo(1);
        assertThat(policy.grantable(4, 10L * CHUNK, 100L * CHUNK, false)).isZero();
    }

    @Test
    void neverGrantsMoreFullChunksThanFitTheRoom() {
        assertThat(policy.grantable(0, 2L * CHUNK + 5, 100L * CHUNK, false)).isEqualTo(2);
        assertThat(policy.grantable(2, 2L * CHUNK + 5, 100L * CHUNK, false)).isZero();
        assertThat(policy.grantable(0, CHUNK - 1, 100L * CHUNK, false)).isZero();
    }

    @Test
    void whenTheRestOfTheFileFitsTheRoomDoesNotLimitCredit() {
        assertThat(policy.grantable(0, 100, 10, false)).isEqualTo(4);
        assertThat(policy.grantable(0, 100, 0, false)).isZero();
    }

    @Test
    void aPausedUploadGetsNothing() {
        assertThat(policy.grantable(0, 10L * CHUNK, 100L * CHUNK, true)).isZero();
    }
}
