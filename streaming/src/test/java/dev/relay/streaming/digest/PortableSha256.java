package dev.relay.streaming.digest;

import java.util.Arrays;

/**
 * SHA-256 (FIPS 180-4) in plain Java with an open state: the service's fallback before it moved to BouncyCastle,
 * kept as the tests' reference, independent of the library, that writes states in this project's format at any
 * point of a stream (and measured by bench/digest.sh).
 */
final class PortableSha256 implements Sha256Engine {

    private static final int[] K = {
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
            0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
            0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
            0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
            0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
            0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

    private final int[] h;
    private final byte[] block = new byte[64];
    private final int[] w = new int[64];
    private int blockFill;
    private long count;

    PortableSha256(Sha256State state) {
        this.h = state.h().clone();
        this.count = state.count();
        this.blockFill = state.pending().length;
        System.arraycopy(state.pending(), 0, block, 0, blockFill);
    }

    @Override
    public void update(byte[] bytes, int offset, int length) {
        count += length;
        int i = offset;
        int end = offset + length;
        if (blockFill > 0) {
            int take = Math.min(64 - blockFill, length);
            System.arraycopy(bytes, i, block, blockFill, take);
            blockFill += take;
            i += take;
            if (blockFill < 64) {
                return;
            }
            compress(h, block, 0);
            blockFill = 0;
        }
        for (; end - i >= 64; i += 64) {
            compress(h, bytes, i);
        }
        blockFill = end - i;
        System.arraycopy(bytes, i, block, 0, blockFill);
    }

    @Override
    public Sha256State state() {
        return new Sha256State(h.clone(), count, Arrays.copyOf(block, blockFill));
    }

    @Override
    public byte[] digest() {
        int[] hash = h.clone();
        byte[] tail = new byte[blockFill < 56 ? 64 : 128];
        System.arraycopy(block, 0, tail, 0, blockFill);
        tail[blockFill] = (byte) 0x80;
        long bits = count * 8;
        for (int i = 0; i < 8; i++) {
            tail[tail.length - 1 - i] = (byte) (bits >>> (8 * i));
        }
        for (int i = 0; i < tail.length; i += 64) {
            compress(hash, tail, i);
        }
        byte[] out = new byte[32];
        for (int i = 0; i < 8; i++) {
            out[4 * i] = (byte) (hash[i] >>> 24);
            out[4 * i + 1] = (byte) (hash[i] >>> 16);
            out[4 * i + 2] = (byte) (hash[i] >>> 8);
            out[4 * i + 3] = (byte) hash[i];
        }
        return out;
    }

    private void compress(int[] hash, byte[] data, int offset) {
        for (int t = 0; t < 16; t++) {
            int j = offset + 4 * t;
            w[t] = (data[j] & 0xff) << 24 | (data[j + 1] & 0xff) << 16 | (data[j + 2] & 0xff) << 8
                    | (data[j + 3] & 0xff);
        }
        for (int t = 16; t < 64; t++) {
            int s0 = Integer.rotateRight(w[t - 15], 7) ^ Integer.rotateRight(w[t - 15], 18) ^ (w[t - 15] >>> 3);
            int s1 = Integer.rotateRight(w[t - 2], 17) ^ Integer.rotateRight(w[t - 2], 19) ^ (w[t - 2] >>> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        int a = hash[0], b = hash[1], c = hash[2], d = hash[3], e = hash[4], f = hash[5], g = hash[6], k = hash[7];
        for (int t = 0; t < 64; t++) {
            int t1 = k + (Integer.rotateRight(e, 6) ^ Integer.rotateRight(e, 11) ^ Integer.rotateRight(e, 25))
                    + ((e & f) ^ (~e & g)) + K[t] + w[t];
            int t2 = (Integer.rotateRight(a, 2) ^ Integer.rotateRight(a, 13) ^ Integer.rotateRight(a, 22))
                    + ((a & b) ^ (a & c) ^ (b & c));
            k = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        hash[0] += a;
        hash[1] += b;
        hash[2] += c;
        hash[3] += d;
        hash[4] += e;
        hash[5] += f;
        hash[6] += g;
        hash[7] += k;
    }
}
