package dev.relay.streaming.port;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;

/**
 * The bytes of one part while they are still arriving, for an {@link ObjectStore} that sends them as they come:
 * {@code data[0, available)} is final and readable, the rest is still being written by the engine.
 *
 * <p>The engine only ever calls {@link #advance} and {@link #abandon}, which never wait. The store's sending thread
 * (never an event loop) waits in {@link #awaitAvailable} for the next bytes; the engine's writes to {@code data}
 * happen before the {@link #advance} that publishes them, so the sender sees them whole.
 */
public final class PartFeed {

    private final byte[] data;
    private final int length;
    private int available;
    private boolean abandoned;

    /**
     * @param data   the part buffer the engine fills; the engine does not reuse it before the upload has ended
     * @param length the part's final length
     */
    public PartFeed(byte[] data, int length) {
        if (length <= 0 || length > data.length) {
            throw new IllegalArgumentException("A part of " + length + " bytes in a buffer of " + data.length);
        }
        this.data = data;
        this.length = length;
    }

    public byte[] data() {
        return data;
    }

    public int length() {
        return length;
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
