package dev.relay.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import reactor.netty.NettyPipeline;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Encodes the client's binary WebSocket frames itself, masking the payload a buffer at a time.
 *
 * <p>A WebSocket client must mask every byte it sends. Netty's encoder does it 8 bytes per {@code getLong} on the
 * frame and {@code writeLong} on its output, and each of those calls checks bounds and that the buffer was not
 * released; on rsocket-java's frames, composites of header and data, each {@code getLong} also looks up its component.
 * With Netty's default checks (a program that embeds the client cannot turn them off for us: they are read once, when
 * Netty loads) those calls were most of the client's CPU per uploaded byte. Here each component of the frame is
 * XORed into one direct buffer through plain {@link ByteBuffer}s, whose bounds checks the JIT hoists out of the loop:
 * one pass and one allocation per frame, whatever Netty's settings, and the composite needs no copy of its own first.
 *
 * <p>Placed after Netty's encoder on the way out (nearer the application), it hands that encoder a ready
 * {@link ByteBuf}, which passes through untouched. Frames of other types (close, ping, pong) and frames with reserved
 * bits (an extension's; the client negotiates none) are left to Netty's encoder.
 */
@ChannelHandler.Sharable
final class MaskingFrameEncoder extends ChannelOutboundHandlerAdapter {

    static final String NAME = "relay.maskingFrameEncoder";
    private static final MaskingFrameEncoder INSTANCE = new MaskingFrameEncoder();

    private static final int FIN = 0x80;
    private static final int OPCODE_BINARY = 0x2;
    private static final int MASKED = 0x80;
    private static final boolean BIG_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN;

    private MaskingFrameEncoder() {
    }

    /** Adds the encoder to a client channel's pipeline, nearer the application than anything reactor-netty adds. */
    static void install(Channel channel) {
        ChannelPipeline pipeline = channel.pipeline();
        if (pipeline.get(NAME) != null) {
            return;
        }
        if (pipeline.get(NettyPipeline.ReactiveBridge) != null) {
            pipeline.addBefore(NettyPipeline.ReactiveBridge, NAME, INSTANCE);
        } else {
            pipeline.addLast(NAME, INSTANCE);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof BinaryWebSocketFrame frame) || frame.rsv() != 0) {
            ctx.write(msg, promise);
            return;
        }
        ByteBuf encoded;
        try {
            encoded = encode(ctx.alloc(), frame.isFinalFragment(), frame.content(),
                    ThreadLocalRandom.current().nextInt());
        } catch (RuntimeException e) {
            promise.tryFailure(e);
            return;
        } finally {
            frame.release();
        }
        ctx.write(encoded, promise);
    }

    /** The frame on the wire (RFC 6455 §5.2): header, masking key, then the payload XORed with the key. */
    static ByteBuf encode(ByteBufAllocator alloc, boolean fin, ByteBuf payload, int maskingKey) {
        int length = payload.readableBytes();
        int lengthBytes = length <= 125 ? 0 : length <= 0xFFFF ? 2 : 8;
        ByteBuf out = alloc.directBuffer(2 + lengthBytes + 4 + length);
        try {
            out.writeByte((fin ? FIN : 0) | OPCODE_BINARY);
            if (lengthBytes == 0) {
                out.writeByte(MASKED | length);
            } else if (lengthBytes == 2) {
                out.writeByte(MASKED | 126);
                out.writeShort(length);
            } else {
                out.writeByte(MASKED | 127);
                out.writeLong(length);
            }
            out.writeInt(maskingKey);
            int start = out.writerIndex();
            if (length > 0) {
                ByteBuffer target = out.nioBuffer(start, length).order(ByteOrder.nativeOrder());
                int done = 0;
                for (ByteBuffer source : payload.nioBuffers(payload.readerIndex(), length)) {
                    done = mask(source.order(ByteOrder.nativeOrder()), target, done, maskingKey);
                }
            }
            out.writerIndex(start + length);
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }

    /**
     * XORs {@code source}'s remaining bytes into {@code target} from index {@code done} (bytes of the payload masked
     * so far, which say where in the key this part starts); returns the new count.
     */
    private static int mask(ByteBuffer source, ByteBuffer target, int done, int maskingKey) {
        int key = Integer.rotateLeft(maskingKey, 8 * (done & 3));
        long twice = ((long) key << 32) | (key & 0xFFFF_FFFFL);
        long wide = BIG_ENDIAN ? twice : Long.reverseBytes(twice);
        int from = source.position();
        int n = source.remaining();
        int i = 0;
        for (; i <= n - Long.BYTES; i += Long.BYTES) {
            target.putLong(done + i, source.getLong(from + i) ^ wide);
        }
        for (; i < n; i++) {
            target.put(done + i, (byte) (source.get(from + i) ^ (key >>> (24 - 8 * (i & 3)))));
        }
        return done + n;
    }
}
