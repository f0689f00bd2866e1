package dev.relay.web.rsocket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.rsocket.DuplexConnection;
import io.rsocket.RSocketErrorException;
import java.net.SocketAddress;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** A connection that hands every call to another; subclasses change what they need. */
abstract class ForwardingConnection implements DuplexConnection {

    protected final DuplexConnection source;

    ForwardingConnection(DuplexConnection source) {
        this.source = source;
    }

    @Override
    public void sendFrame(int streamId, ByteBuf frame) {
        source.sendFrame(streamId, frame);
    }

    @Override
    public void sendErrorAndClose(RSocketErrorException error) {
        source.sendErrorAndClose(error);
    }

    @Override
    public Flux<ByteBuf> receive() {
        return source.receive();
    }

    @Override
    public ByteBufAllocator alloc() {
        return source.alloc();
    }

    @Override
    public SocketAddress remoteAddress() {
        return source.remoteAddress();
    }

    @Override
    public double availability() {
        return source.availability();
    }

    @Override
    public Mono<Void> onClose() {
        return source.onClose();
    }

    @Override
    public void dispose() {
        source.dispose();
    }

    @Override
    public boolean isDisposed() {
        return source.isDisposed();
    }
}
