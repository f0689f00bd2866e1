package dev.relay.streaming.upload;

import dev.relay.streaming.digest.ResumableSha256;
import dev.relay.streaming.port.PartFeed;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Where the bytes of one part wait until S3 and the database have them: a heap array, or a file of the node's spool
 * ({@link PartSpool}), which keeps an active upload's heap to a few KiB whatever the part size. Written by the
 * session's serial executor, read by the store's sending threads through {@link #source()}.
 */
interface PartBytes {

    /** The bytes it can hold. */
    int capacity();

    /**
     * Copies the chunk's next {@code length} bytes to position {@code at}, adding them to {@code digest}.
     *
     * @throws WriteFailed if the spool could not be written (a full disk): the bytes it reports written are in place
     *                     and in the digest, the rest of the chunk in neither
     */
    void fill(Chunk chunk, int at, int length, ResumableSha256 digest);

    /** Copies {@code src[0, length)} to position 0 (a part resumed from its staged tail). */
    void load(byte[] src, int length);

    /** How the store reads what was written (only bytes already written, see {@link PartFeed}). */
    PartFeed.Source source();

    /** Another holder (a tail being staged from the bytes): they stay until it {@link #release}s them too. */
    void retain();

    /** Lets the bytes go once every holder has; a store still reading them then fails (its request was given up). */
    void release();

    /** A write to the spool failed after {@link #written} bytes of the chunk were written and digested. */
    final class WriteFailed extends UncheckedIOException {
        final int written;

        WriteFailed(int written, IOException cause) {
            super("Could not write a part to the spool (" + written + " bytes of the chunk were written)", cause);
            this.written = written;
        }
    }

    /** Hands out the room for parts. */
    interface Allocator {
        PartBytes allocate(int capacity);
    }

    /** Parts on the heap: one array each, as large as the part. */
    Allocator HEAP = capacity -> new OnHeap(new byte[capacity]);

    final class OnHeap implements PartBytes {
        private final byte[] data;

        OnHeap(byte[] data) {
            this.data = data;
        }

        @Override
        public int capacity() {
            return data.length;
        }

        @Override
        public void fill(Chunk chunk, int at, int length, ResumableSha256 digest) {
            chunk.read(data, at, length);
            digest.update(data, at, length);
        }

        @Override
        public void load(byte[] src, int length) {
            System.arraycopy(src, 0, data, 0, length);
        }

        @Override
        public PartFeed.Source source() {
            return (position, dest, offset, n) -> System.arraycopy(data, position, dest, offset, n);
        }

        @Override
        public void retain() {
        }

        @Override
        public void release() {
            // The garbage collector takes it once no request reads it any more.
        }
    }
}
