package dev.relay.streaming.digest;

import org.bouncycastle.crypto.CryptoServicesRegistrar;
import org.bouncycastle.crypto.NativeServices;
import org.bouncycastle.crypto.SavableDigest;
import org.bouncycastle.crypto.digests.SHA256Digest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * SHA-256 on BouncyCastle LTS's native code (SHA instructions where the CPU has them), as fast as the JDK's
 * intrinsic: about eight times faster than any Java implementation, which matters because every uploaded byte is
 * hashed on small, CPU-bound machines (docs/benchmarks.md, "SHA-256 implementations"). Saving and restoring go
 * through the library's public API ({@code getEncodedState()}, {@code SHA256Digest.newInstance(byte[], int)}); the
 * saved form is the native context, converted from and to {@link Sha256State} here so that what is stored stays this
 * project's format, readable by {@link BouncyCastleSha256} on a node without the native code.
 *
 * <p>That conversion reads the context's layout, which the library does not document: {@link #check} proves it at
 * start-up against the Java implementation, for the library version this build pins and the variant loaded on this
 * CPU, and the engine is not used when it does not hold ({@link #unavailableReason()}).
 */
final class NativeSha256 implements Sha256Engine {

    // The native context (160 bytes, little-endian), as the variants with SHA instructions lay it out: [8,16) the
    // bytes pending in the block, [16,80) the block, [80,88) the byte count, [128,160) the chaining words in the
    // order of the SHA instructions' registers (F E B A, H G D C). The rest is constant: copied from a fresh context.
    private static final int LENGTH = 160;
    private static final int PENDING_LENGTH = 8;
    private static final int BLOCK = 16;
    private static final int COUNT = 80;
    private static final int CHAINING = 128;
    private static final int[] WORD_ORDER = {5, 4, 1, 0, 7, 6, 3, 2};

    private static final byte[] FRESH;
    private static final String UNAVAILABLE;

    static {
        byte[] fresh = null;
        String unavailable;
        try {
            if (!CryptoServicesRegistrar.hasEnabledService(NativeServices.SHA2)) {
                unavailable = "no native SHA-256 for this platform (BouncyCastle LTS: "
                        + CryptoServicesRegistrar.getNativeServices().getStatusMessage() + ")";
            } else {
                fresh = SHA256Digest.newInstance().getEncodedState();
                unavailable = check(fresh);
            }
        } catch (RuntimeException | LinkageError e) {
            unavailable = "the native SHA-256 failed to load: " + e;
        }
        FRESH = fresh;
        UNAVAILABLE = unavailable;
    }

    private final SavableDigest digest;

    NativeSha256(Sha256State state) {
        digest = SHA256Digest.newInstance(toNative(state, FRESH), 0);
    }

    static boolean available() {
        return UNAVAILABLE == null;
    }

    /** Why the native engine is not used, or null if it is. */
    static String unavailableReason() {
        return UNAVAILABLE;
    }

    /** The native variant loaded (e.g. "vaesf"), for the start-up log. */
    static String variant() {
        return CryptoServicesRegistrar.getNativeServices().getVariant();
    }

    @Override
    public void update(byte[] bytes, int offset, int length) {
        digest.update(bytes, offset, length);
    }

    @Override
    public Sha256State state() {
        return fromNative(digest.getEncodedState(), FRESH);
    }

    @Override
    public byte[] digest() {
        byte[] out = new byte[32];
        ((SavableDigest) digest.copy()).doFinal(out, 0);
        return out;
    }

    static byte[] toNative(Sha256State state, byte[] fresh) {
        byte[] encoded = fresh.clone();
        ByteBuffer out = ByteBuffer.wrap(encoded).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(PENDING_LENGTH, state.pending().length);
        System.arraycopy(state.pending(), 0, encoded, BLOCK, state.pending().length);
        out.putLong(COUNT, state.count());
        for (int i = 0; i < 8; i++) {
            out.putInt(CHAINING + 4 * i, state.h()[WORD_ORDER[i]]);
        }
        return encoded;
    }

    static Sha256State fromNative(byte[] encoded, byte[] fresh) {
        ByteBuffer in = ByteBuffer.wrap(encoded).order(ByteOrder.LITTLE_ENDIAN);
        long pending = encoded.length == LENGTH ? in.getLong(PENDING_LENGTH) : -1;
        long count = encoded.length == LENGTH ? in.getLong(COUNT) : -1;
        if (pending < 0 || pending > 63 || count < 0 || count % 64 != pending
                || !Arrays.equals(encoded, 0, PENDING_LENGTH, fresh, 0, PENDING_LENGTH)
                || !Arrays.equals(encoded, COUNT + 8, CHAINING, fresh, COUNT + 8, CHAINING)) {
            throw new IllegalStateException("The native SHA-256 context is not laid out as this class expects");
        }
        int[] h = new int[8];
        for (int i = 0; i < 8; i++) {
            h[WORD_ORDER[i]] = in.getInt(CHAINING + 4 * i);
        }
        return new Sha256State(h, count, Arrays.copyOfRange(encoded, BLOCK, BLOCK + (int) pending));
    }

    /**
     * Whether the layout above is what this library and variant use: states saved natively at awkward points (empty,
     * mid-word, a block's end and start, several blocks) must equal the Java implementation's, and a native digest
     * restored from a Java state must finish with MessageDigest's result. Returns null if so, else the reason.
     */
    static String check(byte[] fresh) {
        try {
            byte[] data = new byte[300];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 37 + 11);
            }
            byte[] expected = MessageDigest.getInstance("SHA-256").digest(data);
            for (int split : new int[]{0, 1, 55, 56, 63, 64, 65, 130, 299, 300}) {
                SavableDigest nativeDigest = SHA256Digest.newInstance(toNative(Sha256State.initial(), fresh), 0);
                nativeDigest.update(data, 0, split);
                BouncyCastleSha256 java = new BouncyCastleSha256(Sha256State.initial());
                java.update(data, 0, split);
                if (!fromNative(nativeDigest.getEncodedState(), fresh).equals(java.state())) {
                    return "its saved state after " + split + " bytes does not read as expected";
                }
                SavableDigest resumed = SHA256Digest.newInstance(toNative(java.state(), fresh), 0);
                resumed.update(data, split, data.length - split);
                byte[] out = new byte[32];
                resumed.doFinal(out, 0);
                if (!Arrays.equals(out, expected)) {
                    return "a state written for it after " + split + " bytes does not resume to the right digest";
                }
            }
            return null;
        } catch (Exception e) {
            return "its saved state does not convert: " + e;
        }
    }
}
