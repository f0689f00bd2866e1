package dev.relay.streaming.digest;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The complete state of a SHA-256 computation between two updates: the eight chaining words, the number of bytes
 * hashed, and the bytes of the last incomplete 64-byte block. Its encoding is this project's own (version byte 1),
 * independent of the implementation that produced it: {@code uploads.digest_state} holds it. It stayed the stored
 * format when the implementation moved from the JDK's internals to BouncyCastle, so uploads saved before resume
 * without a migration and nodes of both versions read each other's states during a rolling upgrade; converting at
 * the engine's boundary costs a hundred bytes of copying per part. Decoding is strict: bytes of another version or
 * length, or whose byte count disagrees with their pending bytes, are refused. (Having no checksum, the format
 * cannot tell altered chaining words; comparing the final digest with one the client declared does.)
 */
record Sha256State(int[] h, long count, byte[] pending) {

    static final int[] INITIAL = {
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    private static final byte VERSION = 1;
    /** Version, chaining words, byte count, number of pending bytes. */
    private static final int HEADER = 1 + 32 + 8 + 1;

    Sha256State {
        // SHA-256 hashes less than 2^64 bits: 2^61 bytes.
        if (h.length != 8 || count < 0 || count >>> 61 != 0 || pending.length != (int) (count % 64)) {
            throw new IllegalArgumentException("Inconsistent SHA-256 state: " + h.length + " chaining words, "
                    + count + " bytes hashed, " + pending.length + " pending");
        }
    }

    static Sha256State initial() {
        return new Sha256State(INITIAL.clone(), 0, new byte[0]);
    }

    byte[] encode() {
        ByteBuffer out = ByteBuffer.allocate(HEADER + pending.length);
        out.put(VERSION);
        for (int word : h) {
            out.putInt(word);
        }
        out.putLong(count).put((byte) pending.length).put(pending);
        return out.array();
    }

    static Sha256State decode(byte[] encoded) {
        ByteBuffer in = ByteBuffer.wrap(encoded);
        if (encoded.length < HEADER || in.get() != VERSION) {
            throw new IllegalArgumentException("Not a saved SHA-256 state (unknown format)");
        }
        int[] h = new int[8];
        for (int i = 0; i < 8; i++) {
            h[i] = in.getInt();
        }
        long count = in.getLong();
        byte[] pending = new byte[in.get() & 0xff];
        if (encoded.length != HEADER + pending.length) {
            throw new IllegalArgumentException("Not a saved SHA-256 state: " + encoded.length
                    + " bytes where its header announces " + (HEADER + pending.length));
        }
        in.get(pending);
        return new Sha256State(h, count, pending);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Sha256State s && count == s.count && Arrays.equals(h, s.h)
                && Arrays.equals(pending, s.pending);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(count) * 31 + Arrays.hashCode(h);
    }
}
