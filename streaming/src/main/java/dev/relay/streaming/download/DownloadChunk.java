package dev.relay.streaming.download;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A chunk of a download. Its bytes count against the download's window until {@link #written()} is called, which the
 * transport must do once they have been written to the client's socket or dropped: only then may the download read
 * more from S3.
 */
public final class DownloadChunk {

    private final ByteBuffer data;
    private final int length;
    private final WindowedRead.Reader owner;
    private final AtomicBoolean written = new AtomicBoolean();

    DownloadChunk(ByteBuffer data, WindowedRead.Reader owner) {
        this.data = data;
        this.length = data.remaining();
        this.owner = owner;
    }

    /** The bytes; the transport may send this buffer itself (nothing else refers to it). */
    public ByteBuffer data() {
        return data;
    }

    public int length() {
        return length;
    }

    /** The bytes have left (or been dropped): their room in the window is free. Only the first call counts. */
    public void written() {
        if (written.compareAndSet(false, true)) {
            owner.written(length);
        }
    }
}
