package dev.relay.web.rsocket;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Counts the reads from one connection's socket, first in its pipeline (before TLS, HTTP and WebSocket decoding):
 * what {@link CreditLedger} orders its grants and the client's payloads by. Bytes of a read were in the socket before
 * the read began, so a payload in a read that began before a REQUEST_N was sent cannot answer it.
 */
final class SocketReads extends ChannelInboundHandlerAdapter {

    static final String NAME = "relay.socketReads";

    /** Written on the connection's event loop only; read from any thread. */
    private volatile long count;

    long count() {
        return count;
    }

    @Override
    @SuppressWarnings("NonAtomicOperationOnVolatileField") // one writer: the event loop
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        count++;
        ctx.fireChannelRead(msg);
    }
}
