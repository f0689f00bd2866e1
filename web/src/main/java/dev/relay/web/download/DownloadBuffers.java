package dev.relay.web.download;

import dev.relay.streaming.download.DownloadChunk;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledDirectByteBuf;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import reactor.core.publisher.Flux;

/**
 * Download chunks as the Netty buffers both transports (RSocket frames, HTTP bodies) write. A chunk's room in its
 * download's window is returned when Netty lets go of its buffer: once its last byte went to the socket, or when a
 * cancelled stream drops it. So a socket that does not drain stops reading from S3, whatever the client requested.
 *
 * <p>The buffers are direct: Netty would copy a heap buffer into a direct one as it queues it for the socket and
 * release the original at once, and Reactor Netty queues up to 128 messages (32 MiB of chunks) whether or not the
 * channel is writable; the window would then end before Netty's outbound buffer. The copy into direct memory is the
 * one Netty would make, done here on the thread that read the chunk instead of the event loop.
 */
public final class DownloadBuffers {

    private static final ByteBufAllocator POOL = PooledByteBufAllocator.DEFAULT;
    private static final NettyDataBufferFactory FACTORY = new NettyDataBufferFactory(POOL);

    private DownloadBuffers() {
    }

    public static Flux<DataBuffer> of(Flux<DownloadChunk> chunks) {
        return chunks.<DataBuffer>map(chunk -> FACTORY.wrap(ChunkBuffer.of(chunk)))
                // A buffer Reactor drops between here and the transport (a cancelled stream) is released too.
                .doOnDiscard(DataBuffer.class, DataBufferUtils::release);
    }

    /**
     * A chunk's bytes in pooled direct memory. Derived buffers (the slices RSocket and the WebSocket encoder make)
     * share this buffer's reference count, so {@link #deallocate} runs once, after the last of them is released.
     */
    private static final class ChunkBuffer extends UnpooledDirectByteBuf {

        private final ByteBuf pooled;
        private final DownloadChunk chunk;

        private ChunkBuffer(ByteBuf pooled, DownloadChunk chunk) {
            super(POOL, pooled.nioBuffer(0, pooled.readableBytes()), pooled.readableBytes());
            this.pooled = pooled;
            this.chunk = chunk;
        }

        static ChunkBuffer of(DownloadChunk chunk) {
            ByteBuf pooled = POOL.directBuffer(chunk.length(), chunk.length());
            try {
                pooled.writeBytes(chunk.data());
                return new ChunkBuffer(pooled, chunk);
            } catch (RuntimeException e) {
                pooled.release();
                chunk.written();
                throw e;
            }
        }

        @Override
        protected void deallocate() {
            super.deallocate();
            pooled.release();
            chunk.written();
        }
    }
}
