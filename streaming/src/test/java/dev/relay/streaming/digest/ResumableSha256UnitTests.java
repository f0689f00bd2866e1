package dev.relay.streaming.digest;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ResumableSha256UnitTests {

    private static final byte[] DATA = new byte[3_000_001];
    private static final HexFormat HEX = HexFormat.of();
    private static final String EXPECTED;

    static {
        new Random(42).nextBytes(DATA);
        EXPECTED = HEX.formatHex(sha256(DATA, DATA.length));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3, 4, 5, 55, 56, 57, 63, 64, 65, 127, 128, 129, 1_000_003, 3_000_000, 3_000_001})
    void aDigestRestoredFromItsStateEqualsOneComputedInOneGo(int split) {
        ResumableSha256 first = ResumableSha256.create();
        first.update(DATA, 0, split);
        byte[] saved = first.state();
        assertThat(saved).hasSize(42 + split % 64);
        ResumableSha256 second = ResumableSha256.restore(saved);
        assertThat(second.state()).isEqualTo(saved);
        second.update(DATA, split, DATA.length - split);

        assertThat(second.hex()).isEqualTo(EXPECTED);
    }

    /** uploads.digest_state of uploads in progress at the upgrade: written by the JDK-internals engine. */
    @Test
    void statesSavedBeforeTheMoveToBouncyCastleResumeToTheRightDigest() throws IOException {
        Map<Integer, byte[]> saved = legacyStates();
        assertThat(saved).hasSizeGreaterThan(140).containsKeys(0, 1, 55, 56, 63, 64, 65, 4097, 3_000_001);

        saved.forEach((split, state) -> {
            ResumableSha256 resumed = ResumableSha256.restore(state);
            resumed.update(DATA, split, DATA.length - split);
            assertThat(resumed.hex()).as("resumed after %d bytes", split).isEqualTo(EXPECTED);
        });
    }

    /** Nodes of both versions read each other's states during a rolling upgrade: the bytes must not change. */
    @Test
    void theStatesSavedNowAreTheBytesTheFormerEngineSaved() throws IOException {
        Map<Integer, byte[]> saved = legacyStates();
        ResumableSha256 digest = ResumableSha256.create();
        int hashed = 0;
        for (Map.Entry<Integer, byte[]> entry : saved.entrySet()) {
            digest.update(DATA, hashed, entry.getKey() - hashed);
            hashed = entry.getKey();
            assertThat(digest.state()).as("state after %d bytes", hashed).isEqualTo(entry.getValue());
        }
    }

    @Test
    void everySplitOfTheFirstBlocksRestoresToTheRightDigest() {
        byte[] data = Arrays.copyOf(DATA, 300);
        String expected = HEX.formatHex(sha256(data, data.length));
        for (int split = 0; split <= data.length; split++) {
            ResumableSha256 first = ResumableSha256.create();
            first.update(data, 0, split);
            ResumableSha256 second = ResumableSha256.restore(first.state());
            second.update(data, split, data.length - split);
            assertThat(second.hex()).as("split at %d", split).isEqualTo(expected);
        }
    }

    @Test
    void aStreamSavedAndRestoredAtEveryUpdateKeepsItsDigest() {
        Random random = new Random(7);
        ResumableSha256 digest = ResumableSha256.create();
        int hashed = 0;
        while (hashed < DATA.length) {
            int length = Math.min(DATA.length - hashed,
                    random.nextInt(5) == 0 ? random.nextInt(70_000) : random.nextInt(130));
            digest.update(DATA, hashed, length);
            hashed += length;
            digest = ResumableSha256.restore(digest.state());
            assertThat(digest.hex()).as("after %d bytes", hashed).isEqualTo(HEX.formatHex(sha256(DATA, hashed)));
        }
        assertThat(digest.hex()).isEqualTo(EXPECTED);
    }

    /** The reference (independent of BouncyCastle) and the engine write the same states and read each other's. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 5, 55, 56, 63, 64, 65, 100, 129, 4097, 1_000_003})
    void theEngineAndTheReferenceAgreeAndTheirStatesAreInterchangeable(int split) {
        byte[] expected = sha256(DATA, DATA.length);
        Function<Sha256State, Sha256Engine> engine = BouncyCastleSha256::new;
        Function<Sha256State, Sha256Engine> reference = PortableSha256::new;

        for (var pair : List.of(List.of(engine, reference), List.of(reference, engine))) {
            Sha256Engine a = pair.get(0).apply(Sha256State.initial());
            a.update(DATA, 0, split);
            Sha256State saved = Sha256State.decode(a.state().encode());
            assertThat(saved.count()).isEqualTo(split);
            assertThat(saved.pending()).isEqualTo(Arrays.copyOfRange(DATA, split - split % 64, split));
            Sha256Engine b = pair.get(1).apply(saved);
            assertThat(b.state()).isEqualTo(saved);
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
        assertThat(digest.hex()).isEqualTo(HEX.formatHex(sha256(new byte[]{1, 2, 3, 4}, 4)));
        assertThat(ResumableSha256.restore(null).hex())
                .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assertThat(ResumableSha256.restore(new byte[0]).hex()).isEqualTo(ResumableSha256.create().hex());
    }

    @Test
    void aStateOfAnotherFormatIsRefused() {
        assertThatThrownBy(() -> ResumableSha256.restore(new byte[50]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown format");
        byte[] versionTwo = stateAfter(100);
        versionTwo[0] = 2;
        assertThatThrownBy(() -> ResumableSha256.restore(versionTwo))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown format");
    }

    @Test
    void aTruncatedOrExtendedStateIsRefused() {
        for (int split : new int[]{0, 1, 63, 64, 100}) {
            byte[] state = stateAfter(split);
            for (int length = 1; length < state.length; length++) {
                byte[] truncated = Arrays.copyOf(state, length);
                assertThatThrownBy(() -> ResumableSha256.restore(truncated)).as("%d of %d bytes", length, state.length)
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SHA-256 state");
            }
            byte[] extended = Arrays.copyOf(state, state.length + 1);
            assertThatThrownBy(() -> ResumableSha256.restore(extended))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("header announces");
        }
    }

    @Test
    void aStateWhoseCountDisagreesWithItsPendingBytesIsRefused() {
        byte[] state = stateAfter(100); // 36 bytes pending
        for (long count : new long[]{99, 101, 35, 37, 64_099, -28, Long.MIN_VALUE + 36, 1L << 61 | 36}) {
            byte[] wrong = state.clone();
            for (int i = 0; i < 8; i++) {
                wrong[33 + i] = (byte) (count >>> (56 - 8 * i));
            }
            assertThatThrownBy(() -> ResumableSha256.restore(wrong)).as("count %d", count)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Inconsistent SHA-256 state");
        }
        byte[] pendingLength = Arrays.copyOf(state, state.length + 1);
        pendingLength[41] = 37;
        assertThatThrownBy(() -> ResumableSha256.restore(pendingLength))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Inconsistent SHA-256 state");
    }

    /**
     * Random bytes, many of them past the version check and with a length matching their header: refused unless they
     * happen to be well formed (length, byte count and pending bytes agree), which the format, having no checksum,
     * cannot tell from a saved state.
     */
    @Test
    void malformedBytesAreRefused() {
        Random random = new Random(11);
        int wellFormed = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes = new byte[1 + random.nextInt(140)];
            random.nextBytes(bytes);
            if (i % 2 == 0) {
                bytes[0] = 1;
            }
            if (i % 4 == 0 && bytes.length >= 42) {
                bytes[41] = (byte) (bytes.length - 42);
            }
            long count = bytes.length >= 42 ? ByteBuffer.wrap(bytes, 33, 8).getLong() : -1;
            if (bytes[0] == 1 && bytes.length >= 42 && bytes.length == 42 + (bytes[41] & 0xff) && count >= 0
                    && count < 1L << 61 && count % 64 == bytes.length - 42) {
                wellFormed++;
                assertThatCode(() -> ResumableSha256.restore(bytes)).doesNotThrowAnyException();
            } else {
                assertThatThrownBy(() -> ResumableSha256.restore(bytes)).as(HEX.formatHex(bytes))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SHA-256 state");
            }
        }
        assertThat(wellFormed).isLessThan(20);
    }

    @Test
    void bouncyCastleStatesConvertBothWays() {
        for (int split = 0; split <= 130; split++) {
            PortableSha256 reference = new PortableSha256(Sha256State.initial());
            reference.update(DATA, 0, split);
            Sha256State expected = reference.state();

            byte[] encoded = BouncyCastleSha256.toBouncyCastle(expected);
            assertThat(BouncyCastleSha256.fromBouncyCastle(encoded)).isEqualTo(expected);
            SHA256Digest library = new SHA256Digest();
            library.update(DATA, 0, split);
            assertThat(encoded).as("split %d", split).isEqualTo(library.getEncodedState());
        }
        assertThatThrownBy(() -> BouncyCastleSha256.fromBouncyCastle(new byte[52]))
                .isInstanceOf(IllegalStateException.class);
        byte[] oneWordMissing = new byte[53];
        oneWordMissing[51] = 1;
        assertThatThrownBy(() -> BouncyCastleSha256.fromBouncyCastle(oneWordMissing))
                .isInstanceOf(IllegalStateException.class);
    }

    private static byte[] stateAfter(int bytes) {
        ResumableSha256 digest = ResumableSha256.create();
        digest.update(DATA, 0, bytes);
        return digest.state();
    }

    private static Map<Integer, byte[]> legacyStates() throws IOException {
        Map<Integer, byte[]> states = new LinkedHashMap<>();
        var resource = ResumableSha256UnitTests.class.getResourceAsStream("sha256-states-v1.txt");
        try (BufferedReader in = new BufferedReader(new InputStreamReader(resource, StandardCharsets.US_ASCII))) {
            for (String line : in.lines().filter(line -> !line.startsWith("#")).toList()) {
                String[] fields = line.split(" ");
                states.put(Integer.parseInt(fields[0]), HEX.parseHex(fields[1]));
            }
        }
        return states;
    }

    private static byte[] sha256(byte[] data, int length) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(data, 0, length);
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
