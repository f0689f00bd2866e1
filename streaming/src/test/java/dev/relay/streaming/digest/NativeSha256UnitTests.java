package dev.relay.streaming.digest;

import org.bouncycastle.crypto.CryptoServicesRegistrar;
import org.bouncycastle.crypto.NativeServices;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The native engine where BouncyCastle LTS loads a native SHA-256 (these machines); elsewhere the tests stand aside
 * and the Java engine serves (ResumableSha256UnitTests cover it).
 */
class NativeSha256UnitTests {

    private static final byte[] DATA = new byte[1_000_003];

    static {
        new Random(7).nextBytes(DATA);
    }

    private byte[] fresh;

    @BeforeEach
    void nativeLoaded() {
        assumeTrue(CryptoServicesRegistrar.hasEnabledService(NativeServices.SHA2), "no native SHA-256 here");
        fresh = SHA256Digest.newInstance().getEncodedState();
    }

    @Test
    void whereTheLibraryLoadsItsNativeSha256TheEngineIsUsed() {
        assertThat(NativeSha256.unavailableReason()).isNull();
        assertThat(ResumableSha256.accelerated()).isTrue();
    }

    /** Byte for byte what the library itself saves after the same bytes, and back again. */
    @Test
    void statesConvertToTheLibrarysOwnContextAndBack() {
        for (int split = 0; split <= 200; split++) {
            PortableSha256 reference = new PortableSha256(Sha256State.initial());
            reference.update(DATA, 0, split);
            var library = SHA256Digest.newInstance();
            library.update(DATA, 0, split);

            byte[] encoded = NativeSha256.toNative(reference.state(), fresh);
            assertThat(encoded).as("split %d", split).isEqualTo(library.getEncodedState());
            assertThat(NativeSha256.fromNative(encoded, fresh)).isEqualTo(reference.state());
        }
    }

    /** Native, Java and the reference write the same states and resume from each other's. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 5, 55, 56, 63, 64, 65, 129, 4097, 1_000_003})
    void allThreeEnginesReadEachOthersStates(int split) throws Exception {
        byte[] expected = MessageDigest.getInstance("SHA-256").digest(DATA);
        List<Function<Sha256State, Sha256Engine>> engines = List.of(NativeSha256::new, BouncyCastleSha256::new,
                PortableSha256::new);
        for (var from : engines) {
            for (var to : engines) {
                Sha256Engine a = from.apply(Sha256State.initial());
                a.update(DATA, 0, split);
                Sha256State saved = Sha256State.decode(a.state().encode());
                assertThat(saved.count()).isEqualTo(split);
                Sha256Engine b = to.apply(saved);
                assertThat(b.state()).isEqualTo(saved);
                b.update(DATA, split, DATA.length - split);
                assertThat(b.digest()).isEqualTo(expected);
            }
        }
    }

    @Test
    void theDigestLeavesTheRunningStateUntouched() throws Exception {
        NativeSha256 engine = new NativeSha256(Sha256State.initial());
        engine.update(DATA, 0, 100);
        Sha256State before = engine.state();
        assertThat(engine.digest()).isEqualTo(MessageDigest.getInstance("SHA-256")
                .digest(Arrays.copyOf(DATA, 100)));
        assertThat(engine.state()).isEqualTo(before);
    }

    @Test
    void aContextLaidOutOtherwiseIsRefused() {
        var library = SHA256Digest.newInstance();
        library.update(DATA, 0, 70);
        byte[] good = library.getEncodedState();
        assertThat(NativeSha256.fromNative(good, fresh).count()).isEqualTo(70);

        byte[] shorter = Arrays.copyOf(good, good.length - 1);
        byte[] header = good.clone();
        header[1] ^= 1;
        byte[] pendingTooLong = good.clone();
        pendingTooLong[8] = 64;
        byte[] countOff = good.clone();
        countOff[80] ^= 1;
        for (byte[] bad : List.of(shorter, header, pendingTooLong, countOff)) {
            assertThatThrownBy(() -> NativeSha256.fromNative(bad, fresh)).isInstanceOf(IllegalStateException.class);
        }
    }

    /** The start-up check is what keeps a changed layout from ever hashing an upload: it must be able to say no. */
    @Test
    void theStartUpCheckRefusesALayoutThatDoesNotHold() {
        assertThat(NativeSha256.check(fresh)).isNull();
        byte[] javaState = new SHA256Digest().getEncodedState(); // another layout altogether
        assertThat(NativeSha256.check(javaState)).isNotNull();
    }
}
