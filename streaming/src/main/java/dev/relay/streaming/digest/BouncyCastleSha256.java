package dev.relay.streaming.digest;

import org.bouncycastle.crypto.CryptoServicePurpose;
import org.bouncycastle.crypto.digests.SHA256Digest;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * SHA-256 on BouncyCastle's {@link SHA256Digest}, whose state is exported and restored through its public API
 * ({@code getEncodedState()}, {@code new SHA256Digest(byte[])}): no JVM flag, however the service is started. The
 * JDK's faster implementation offers no such API (docs/benchmarks.md, "SHA-256 implementations").
 * <p>
 * States cross this class as {@link Sha256State}, converted from and to BouncyCastle's encoding here, so what is
 * stored stays this project's own format. A self-test at class initialisation fails loudly if the BouncyCastle on
 * the class path encodes its state otherwise.
 */
final class BouncyCastleSha256 implements Sha256Engine {

    // SHA256Digest.getEncodedState(), big-endian: [0,4) the bytes of an incomplete word, [4,8) how many of them,
    // [8,16) the byte count, [16,48) the chaining words, [48,52) the number n of complete words of the current
    // block, [52,52+4n) those words, then one byte: the CryptoServicePurpose's ordinal.
    private static final int PARTIAL_LENGTH = 4;
    private static final int COUNT = 8;
    private static final int CHAINING = 16;
    private static final int WORDS = 48;
    private static final int BLOCK = 52;

    static {
        selfTest();
    }

    private final SHA256Digest digest;

    BouncyCastleSha256(Sha256State state) {
        digest = new SHA256Digest(toBouncyCastle(state));
    }

    @Override
    public void update(byte[] bytes, int offset, int length) {
        digest.update(bytes, offset, length);
    }

    @Override
    public Sha256State state() {
        return fromBouncyCastle(digest.getEncodedState());
    }

    @Override
    public byte[] digest() {
        byte[] out = new byte[32];
        new SHA256Digest(digest).doFinal(out, 0);
        return out;
    }

    static byte[] toBouncyCastle(Sha256State state) {
        byte[] pending = state.pending();
        int words = pending.length / 4;
        int partial = pending.length % 4;
        ByteBuffer out = ByteBuffer.allocate(BLOCK + 4 * words + 1);
        out.put(pending, 4 * words, partial).putInt(PARTIAL_LENGTH, partial).putLong(COUNT, state.count());
        out.position(CHAINING);
        for (int word : state.h()) {
            out.putInt(word);
        }
        out.putInt(words).put(pending, 0, 4 * words).put((byte) CryptoServicePurpose.ANY.ordinal());
        return out.array();
    }

    static Sha256State fromBouncyCastle(byte[] encoded) {
        ByteBuffer in = ByteBuffer.wrap(encoded);
        int partial = encoded.length > BLOCK ? in.getInt(PARTIAL_LENGTH) : -1;
        int words = encoded.length > BLOCK ? in.getInt(WORDS) : -1;
        long count = encoded.length > BLOCK ? in.getLong(COUNT) : -1;
        if (partial < 0 || partial > 3 || words < 0 || words > 15 || encoded.length != BLOCK + 4 * words + 1
                || count < 0 || count % 64 != 4 * words + partial) {
            throw new IllegalStateException("BouncyCastle's SHA-256 state is not encoded as this class expects");
        }
        int[] h = new int[8];
        in.position(CHAINING);
        for (int i = 0; i < 8; i++) {
            h[i] = in.getInt();
        }
        byte[] pending = Arrays.copyOfRange(encoded, BLOCK, BLOCK + 4 * words + partial);
        System.arraycopy(encoded, 0, pending, 4 * words, partial);
        return new Sha256State(h, count, pending);
    }

    /** Saves and restores mid-word and compares with MessageDigest: the encoding must mean what we think. */
    private static void selfTest() {
        byte[] data = new byte[200];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31 + 7);
        }
        BouncyCastleSha256 first = new BouncyCastleSha256(Sha256State.initial());
        first.update(data, 0, 77);
        Sha256State saved = first.state();
        BouncyCastleSha256 second = new BouncyCastleSha256(saved);
        second.update(data, 77, data.length - 77);
        byte[] expected;
        try {
            expected = MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        if (saved.count() != 77 || !Arrays.equals(saved.pending(), Arrays.copyOfRange(data, 64, 77))
                || !Arrays.equals(second.digest(), expected)) {
            throw new IllegalStateException("BouncyCastle's SHA-256 state is not encoded as this class expects");
        }
    }
}
