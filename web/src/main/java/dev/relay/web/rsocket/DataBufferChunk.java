package dev.relay.web.rsocket;

import dev.relay.streaming.upload.Chunk;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;

/** A received payload's data (a pooled Netty buffer) as an engine {@link Chunk}. */
final class DataBufferChunk implements Chunk {

    private final DataBuffer buffer;

    DataBufferChunk(DataBuffer buffer) {
        this.buffer = buffer;
    }

    @Override
    public int remaining() {
        return buffer.readableByteCount();
    }

    @Override
    public void read(byte[] dest, int offset, int length) {
        buffer.read(dest, offset, length);
    }

    @Override
    public void release() {
        DataBufferUtils.release(buffer);
    }
}
