package dev.relay.web.rsocket;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.ErrorBody;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import io.rsocket.exceptions.ApplicationErrorException;
import io.rsocket.frame.ErrorFrameCodec;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The credit of every request-channel a client opened on one connection, counted on the wire: the payloads the
 * client sent against the REQUEST_N frames the server sent it (docs/protocol.md, section 4, Credit).
 *
 * <p>Why here and not behind rsocket-java: rsocket-java counts request-n when the handler asks, not when the frame
 * leaves, and answers an overrun with its own CANCELED and a plain-text message. The engine tops credit up as a
 * chunk arrives, on the event loop, while later frames of the same read are still waiting to be decoded; counted at
 * the request, such a top-up covers chunks the client sent before it could have seen it. Here a REQUEST_N written on
 * the connection's event loop counts only from the next event-loop task: reactor-netty flushes it in a task queued
 * after the one queued here, so it counts before the client can have it, and never for frames already read.
 *
 * <p>Inbound frames arrive on the connection's event loop, one at a time; outbound frames come from any thread.
 */
final class CreditLedger {

    private static final int FLAG_FOLLOWS = 0x80;
    private static final int FLAG_COMPLETE = 0x40;
    private static final int FLAG_NEXT = 0x20;
    private static final int HEADER = 6;

    /** What to do with an inbound frame. */
    enum Verdict {
        /** Hand it to rsocket-java. */
        PASS,
        /** Drop it: its channel already failed for an overrun. */
        DROP,
        /** An overrun: answer {@link #overrunError}, hand rsocket-java {@link #cancelFrame} instead. */
        OVERRUN
    }

    private final Map<Integer, Channel> channels = new ConcurrentHashMap<>();
    private volatile EventExecutor inboundLoop;

    /** Judges a well-formed frame from the client and updates the counts. */
    Verdict inbound(ByteBuf frame) {
        if (inboundLoop == null) {
            inboundLoop = ThreadExecutorMap.currentExecutor();
        }
        int at = frame.readerIndex();
        int streamId = frame.getInt(at);
        int typeAndFlags = frame.getUnsignedShort(at + 4);
        int type = typeAndFlags >>> 10;
        int flags = typeAndFlags & 0x3FF;
        Channel channel = channels.get(streamId);
        if (channel != null && channel.failed) {
            return Verdict.DROP;
        }
        switch (type) {
            case FrameRules.REQUEST_CHANNEL -> {
                // The first payload travels in the request itself and needs no credit.
                if ((flags & FLAG_COMPLETE) == 0) {
                    Channel opened = new Channel();
                    opened.continuing = (flags & FLAG_FOLLOWS) != 0;
                    channels.put(streamId, opened);
                }
            }
            case FrameRules.PAYLOAD -> {
                if (channel == null) {
                    return Verdict.PASS;
                }
                boolean fragment = channel.continuing;
                channel.continuing = (flags & FLAG_FOLLOWS) != 0;
                if (!fragment && (flags & FLAG_NEXT) != 0 && ++channel.received > channel.granted) {
                    channel.failed = true;
                    return Verdict.OVERRUN;
                }
                if ((flags & FLAG_COMPLETE) != 0 && !channel.continuing) {
                    channels.remove(streamId);
                }
            }
            case FrameRules.CANCEL, FrameRules.ERROR -> channels.remove(streamId);
            default -> {
            }
        }
        return Verdict.PASS;
    }

    /**
     * Notes a frame the server sends; returns false if it must not go out (its channel already failed for an
     * overrun, and the CREDIT_EXCEEDED error was its last frame).
     */
    boolean outbound(int streamId, ByteBuf frame) {
        Channel channel = channels.get(streamId);
        if (channel == null || frame.readableBytes() < HEADER) {
            return true;
        }
        if (channel.failed) {
            return false;
        }
        int type = frame.getUnsignedShort(frame.readerIndex() + 4) >>> 10;
        if (type == FrameRules.REQUEST_N && frame.readableBytes() >= HEADER + 4) {
            long n = frame.getInt(frame.readerIndex() + HEADER);
            EventExecutor loop = inboundLoop;
            if (loop != null && loop.inEventLoop()) {
                loop.execute(() -> channel.grant(n));
            } else {
                channel.grant(n);
            }
        } else if (type == FrameRules.CANCEL || type == FrameRules.ERROR) {
            // The server stopped the channel's inbound side: what the client still sends is dropped by rsocket-java.
            channels.remove(streamId);
        }
        return true;
    }

    /** The ERROR frame that answers an overrun on {@code streamId}: APPLICATION_ERROR with the JSON error body. */
    static ByteBuf overrunError(ByteBufAllocator alloc, int streamId) {
        String json = WireErrors.json(ErrorBody.of(ErrorCode.CREDIT_EXCEEDED, "A payload arrived without credit:"
                + " send only as many payloads as the server requested with REQUEST_N; the channel is closed and"
                + " what arrived within credit is kept (resume from uploads.{id}'s offset)."));
        return ErrorFrameCodec.encode(alloc, streamId, new ApplicationErrorException(json));
    }

    /**
     * A CANCEL frame from the client, as rsocket-java would receive it, that ends the channel on the server's side
     * (the handler stores what it received). A plain heap buffer: nothing needs to release it.
     */
    static ByteBuf cancelFrame(int streamId) {
        byte[] frame = new byte[HEADER];
        frame[0] = (byte) (streamId >>> 24);
        frame[1] = (byte) (streamId >>> 16);
        frame[2] = (byte) (streamId >>> 8);
        frame[3] = (byte) streamId;
        int typeAndFlags = FrameRules.CANCEL << 10;
        frame[4] = (byte) (typeAndFlags >>> 8);
        frame[5] = (byte) typeAndFlags;
        return Unpooled.wrappedBuffer(frame);
    }

    private static final class Channel {
        private volatile long granted;
        /** Inbound side only (the event loop). */
        private long received;
        private boolean continuing;
        private volatile boolean failed;

        private synchronized void grant(long n) {
            granted = Math.min(Long.MAX_VALUE - n, granted) + n;
        }
    }
}
