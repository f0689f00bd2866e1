package dev.relay.streaming.digest;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The complete state of a SHA-256 computation between two updates: the eight chaining words, the number of bytes
 * hashed, and the bytes of the last incomplete 64-byte block. Its encoding is this project's own (version byte 1),
 * independent of the implementation that produced it, so a state saved by one engine restores in the other.
 */
record Sha256State(int[] h, long count, byte[] pending) {

    static final int[] INITIAL = {
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    private static final byte VERSION = 1;

    Sha256State {
        if (h.length != 8 || count < 0 || pending.length != (int) (count % 64)) {
            throw new IllegalArgumentException("Inconsistent SHA-256 state");
        }
    }

    static Sha256State initial() {
        return new Sha256State(INITIAL.clone(), 0, new byte[0]);
    }

    byte[] encode() {
        ByteBuffer out = ByteBuffer.allocate(1 + 32 + 8 + 1 + pending.length);
        out.put(VERSION);
        for (int word : h) {
            out.putInt(word);
        }
        out.putLong(count).put((byte) pending.length).put(pending);
        return out.array();
    }

    static Sha256State decode(byte[] encoded) {
        ByteBuffer in = ByteBuffer.wrap(encoded);
        if (encoded.length < 42 || in.get() != VERSION) {
            throw new IllegalArgumentException("Not a saved SHA-256 state (unknown format)");
        }
        int[] h = new int[8];
        for (int i = 0; i < 8; i++) {
            h[i] = in.getInt();
        }
        long count = in.getLong();
        byte[] pending = new byte[in.get() & 0xff];
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
