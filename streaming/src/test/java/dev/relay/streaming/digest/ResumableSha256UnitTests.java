package dev.relay.streaming.digest;

import org.junit.jupiter.api.Test;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class ResumableSha256UnitTests {

    @Test
    void aDigestRestoredFromItsStateEqualsOneComputedInOneGo() throws Exception {
        byte[] data = new byte[3_000_001];
        new Random(42).nextBytes(data);
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));

        ResumableSha256 first = ResumableSha256.create();
        first.update(data, 0, 1_000_003);
        ResumableSha256 second = ResumableSha256.restore(first.state());
        second.update(data, 1_000_003, data.length - 1_000_003);

        assertThat(second.hex()).isEqualTo(expected);
    }

    @Test
    void hexLeavesTheRunningStateUntouched() {
        ResumableSha256 digest = ResumableSha256.create();
        digest.update(new byte[]{1, 2, 3}, 0, 3);
        String once = digest.hex();
        assertThat(digest.hex()).isEqualTo(once);
        assertThat(ResumableSha256.restore(null).hex())
                .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
