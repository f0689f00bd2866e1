package dev.relay.streaming.port;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;

/**
 * The bytes of one part (or of a small object), possibly while they are still arriving, for an {@link ObjectStore}
 * that sends them as they come: the first {@code available} bytes are final and readable, the rest is still being
 * written by the engine. Where the bytes are (a heap array, a spool file) is the {@link Source}'s business.
 *
 * <p>The engine only ever calls {@link #advance} and {@link #abandon}, which never wait. The store's sending thread
 * (never an event loop) waits in {@link #awaitAvailable} for the next bytes, then {@link #read}s them; the engine's
 * writes happen before the {@link #advance} that publishes them, so the sender sees them whole.
 */
public final class PartFeed {

    /** Where the part's bytes are read from. */
    @FunctionalInterface
    public interface Source {
        /** Copies {@code length} bytes from {@code position} of the part into {@code dest} at {@code offset}. */
        void read(int position, byte[] dest, int offset, int length) throws IOException;
    }

    private final Source source;
    private final int length;
    private int available;
    private boolean abandoned;

    /**
     * @param source where the engine writes the part; it keeps the bytes readable until the upload has ended
     * @param length the part's final length
     */
    public PartFeed(Source source, int length) {
        if (length <= 0) {
            throw new IllegalArgumentException("A part of " + length + " bytes");
        }
        this.source = source;
        this.length = length;
    }

    /** A part written into {@code data[0, length)} as it arrives ({@link #advance} says how far). */
    public static PartFeed over(byte[] data, int length) {
        if (length > data.length) {
            throw new IllegalArgumentException("A part of " + length + " bytes in a buffer of " + data.length);
        }
        return new PartFeed((position, dest, offset, n) -> System.arraycopy(data, position, dest, offset, n), length);
    }

    /** A part whose bytes are all in {@code data[0, length)} already. */
    public static PartFeed whole(byte[] data, int length) {
        PartFeed feed = over(data, length);
        feed.advance(length);
        return feed;
    }

    public int length() {
        return length;
    }

    /** Whether every byte is available already (nothing to wait for: a part sent whole). */
    public synchronized boolean complete() {
        return available == length;
    }

    /**
     * Copies {@code n} available bytes from {@code position} into {@code dest} at {@code offset}.
     *
     * @throws IOException if they are not available (yet), or the source cannot be read (the engine let it go)
     */
    public void read(int position, byte[] dest, int offset, int n) throws IOException {
        synchronized (this) {
            if (position < 0 || n < 0 || position + n > available) {
                throw new IOException("Bytes " + position + " to " + (position + n) + " of the part are not available ("
                        + available + " are)");
            }
        }
        source.read(position, dest, offset, n);
    }

    /** Reads all of a complete part into a new array (for a store that cannot send from the feed). */
    public byte[] readAll() throws IOException {
        byte[] bytes = new byte[length];
        read(0, bytes, 0, length);
        return bytes;
    }

    /** The engine wrote {@code data[0, available)}. */
    public synchronized void advance(int available) {
        if (available > this.available) {
            this.available = Math.min(available, length);
            notifyAll();
        }
    }

    /** The engine will write no more (the channel ended or paused): the upload must fail, not wait. */
    public synchronized void abandon() {
        abandoned = true;
        notifyAll();
    }

    /**
     * Waits until at least {@code atLeast} bytes are available (at most {@link #length}), for the sender.
     *
     * @return how many bytes are available now
     * @throws IOException if the engine abandoned the part, or no new byte came within {@code idle}
     */
    public synchronized int awaitAvailable(int atLeast, long idle, TimeUnit unit) throws IOException {
        int wanted = Math.min(atLeast, length);
        long deadline = System.nanoTime() + unit.toNanos(idle);
        int seen = available;
        try {
            while (available < wanted && !abandoned) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("No bytes of the part arrived for " + unit.toMillis(idle) + " ms ("
                            + available + " of " + length + " so far); the part will be sent whole later");
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
                if (available > seen) {
                    // Progress: the idle limit counts from the latest byte, not from the first wait.
                    seen = available;
                    deadline = System.nanoTime() + unit.toNanos(idle);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("Interrupted while waiting for the part's bytes");
        }
        if (abandoned) {
            // Even if the bytes are there: the engine no longer counts on this upload, and may reuse the buffer.
            throw new IOException("The part was abandoned after " + available + " of " + length + " bytes");
        }
        return available;
    }
}
