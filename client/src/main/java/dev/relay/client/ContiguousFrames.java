package dev.relay.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.rsocket.DuplexConnection;
import io.rsocket.RSocketErrorException;
import io.rsocket.plugins.DuplexConnectionInterceptor;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.net.SocketAddress;

/**
 * Hands each outgoing frame to the WebSocket as one contiguous buffer.
 *
 * <p>rsocket-java builds a frame as a composite of header, metadata and data. A WebSocket client must mask every
 * byte it sends, and Netty's encoder does that 8 bytes at a time with {@code getLong} on the frame: on a composite,
 * each of those calls first looks up which component holds the index. That lookup was most of the client's CPU per
 * uploaded byte (JFR: 80 % of its event-loop samples in {@code WebSocket08FrameEncoder.encode}, most of them in
 * {@code CompositeByteBuf.findIt}); one copy into a single buffer costs a fraction of it.
 */
final class ContiguousFrames implements DuplexConnection {

    /** Smaller frames (requests, REQUEST_N, keepalives) are not worth a copy. */
    static final int MIN_BYTES = 4096;

    private final DuplexConnection delegate;

    private ContiguousFrames(DuplexConnection delegate) {
        this.delegate = delegate;
    }

    /** Wraps the transport's own connection (the one every frame goes through). */
    static DuplexConnectionInterceptor interceptor() {
        return (type, connection) -> type == DuplexConnectionInterceptor.Type.SOURCE
                ? new ContiguousFrames(connection) : connection;
    }

    /** The frame itself if it is one buffer or small; otherwise a copy in one buffer (the frame is released). */
    static ByteBuf contiguous(ByteBuf frame, ByteBufAllocator alloc) {
        if (frame.nioBufferCount() == 1 || frame.readableBytes() < MIN_BYTES) {
            return frame;
        }
        ByteBuf flat = alloc.directBuffer(frame.readableBytes());
        try {
            flat.writeBytes(frame, frame.readerIndex(), frame.readableBytes());
        } catch (RuntimeException e) {
            flat.release();
            throw e;
        } finally {
            frame.release();
        }
        return flat;
    }

    @Override
    public void sendFrame(int streamId, ByteBuf frame) {
        delegate.sendFrame(streamId, contiguous(frame, delegate.alloc()));
    }

    @Override
    public void sendErrorAndClose(RSocketErrorException e) {
        delegate.sendErrorAndClose(e);
    }

    @Override
    public Flux<ByteBuf> receive() {
        return delegate.receive();
    }

    @Override
    public ByteBufAllocator alloc() {
        return delegate.alloc();
    }

    @Override
    public SocketAddress remoteAddress() {
        return delegate.remoteAddress();
    }

    @Override
    public double availability() {
        return delegate.availability();
    }

    @Override
    public Mono<Void> onClose() {
        return delegate.onClose();
    }

    @Override
    public void dispose() {
        delegate.dispose();
    }

    @Override
    public boolean isDisposed() {
        return delegate.isDisposed();
    }
}
