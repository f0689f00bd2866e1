package dev.relay.streaming.upload;

import java.nio.ByteBuffer;

/**
 * Bytes received on a write channel. The transport keeps the memory; the engine copies it once (into the part
 * buffer) with {@link #read} and then calls {@link #release()}, exactly once, whether it used the chunk or not.
 */
public interface Chunk {

    /** The bytes not yet read. */
    int remaining();

    /** Copies the next {@code length} bytes into {@code dest} at {@code offset}. */
    void read(byte[] dest, int offset, int length);

    void release();

    /** A chunk over a heap or direct buffer that needs no release (tests, in-process callers). */
    static Chunk of(ByteBuffer data) {
        return new Chunk() {
            @Override
            public int remaining() {
                return data.remaining();
            }

            @Override
            public void read(byte[] dest, int offset, int length) {
                data.get(dest, offset, length);
            }

            @Override
            public void release() {
            }
        };
    }
}
