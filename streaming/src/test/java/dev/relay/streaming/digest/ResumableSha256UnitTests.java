package dev.relay.streaming.digest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ResumableSha256UnitTests {

    private static final byte[] DATA = new byte[3_000_001];

    static {
        new Random(42).nextBytes(DATA);
    }

    @Test
    void theBuildRunsTheAcceleratedEngine() {
        assertThat(JdkSha256.available()).as("JVM opened for JdkSha256: %s", JdkSha256.unavailableReason()).isTrue();
        assertThat(ResumableSha256.accelerated()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 63, 64, 65, 1_000_003, 3_000_001})
    void aDigestRestoredFromItsStateEqualsOneComputedInOneGo(int split) throws Exception {
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(DATA));

        ResumableSha256 first = ResumableSha256.create();
        first.update(DATA, 0, split);
        ResumableSha256 second = ResumableSha256.restore(first.state());
        second.update(DATA, split, DATA.length - split);

        assertThat(second.hex()).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 5, 64, 100, 129, 4097})
    void bothEnginesAgreeAndTheirStatesAreInterchangeable(int split) throws Exception {
        byte[] expected = MessageDigest.getInstance("SHA-256").digest(DATA);
        Function<Sha256State, Sha256Engine> jdk = JdkSha256::new;
        Function<Sha256State, Sha256Engine> portable = PortableSha256::new;

        for (var pair : java.util.List.of(java.util.List.of(jdk, portable), java.util.List.of(portable, jdk))) {
            Sha256Engine a = pair.get(0).apply(Sha256State.initial());
            a.update(DATA, 0, split);
            Sha256State saved = Sha256State.decode(a.state().encode());
            Sha256Engine b = pair.get(1).apply(saved);
            b.update(DATA, split, DATA.length - split);
            assertThat(b.digest()).isEqualTo(expected);
            assertThat(b.state().count()).isEqualTo(DATA.length);
        }
    }

    @Test
    void hexLeavesTheRunningStateUntouched() {
        ResumableSha256 digest = ResumableSha256.create();
        digest.update(new byte[]{1, 2, 3}, 0, 3);
        String once = digest.hex();
        assertThat(digest.hex()).isEqualTo(once);
        digest.update(new byte[]{4}, 0, 1);
        assertThat(digest.hex()).isNotEqualTo(once);
        assertThat(ResumableSha256.restore(null).hex())
                .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    @Test
    void aStateOfAnotherFormatIsRefused() {
        assertThatThrownBy(() -> ResumableSha256.restore(new byte[50])).isInstanceOf(IllegalArgumentException.class);
    }
}
