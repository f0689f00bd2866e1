package dev.relay.web.rsocket;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.ErrorBody;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.rsocket.exceptions.ApplicationErrorException;
import io.rsocket.frame.ErrorFrameCodec;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The credit of every request-channel a client opened on one connection, counted on the wire: the payloads the
 * client sent against the REQUEST_N frames the server sent it (docs/protocol.md, section 4, Credit).
 *
 * <p>Why here and not behind rsocket-java: rsocket-java counts request-n when the handler asks, not when the frame
 * leaves, and answers an overrun with its own CANCELED and a plain-text message. The engine tops credit up as a
 * chunk arrives, on the event loop, while later frames of the same read are still waiting to be decoded; counted at
 * the request, such a top-up covers chunks the client sent before it could have seen it. Here a REQUEST_N counts for
 * payloads from socket reads that began after it was written ({@link SocketReads}): a reply to it can only come in
 * such a read, and a payload read before it never counts it. Nothing depends on when the event loop runs which task,
 * so a grant is never counted late (which would fail a client that kept to its credit).
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
    /** How many reads from the connection's socket have begun (see {@link SocketReads}). */
    private final LongSupplier socketReads;

    /**
     * @param socketReads the count of the connection's socket reads so far; without one (a transport this server
     *                    does not set up itself) a grant counts at once, which can let a few payloads of one read
     *                    past their credit but never refuses one within it
     */
    CreditLedger(LongSupplier socketReads) {
        this.socketReads = socketReads;
    }

    /** Judges a well-formed frame from the client and updates the counts. */
    Verdict inbound(ByteBuf frame) {
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
                if (!fragment && (flags & FLAG_NEXT) != 0 && ++channel.received > channel.granted(socketReads)) {
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
            channel.grant(socketReads, frame.getInt(frame.readerIndex() + HEADER));
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
        /** Grants that count for every read from now on. */
        private long granted;
        /**
         * Grants not counted yet: pairs of the socket reads begun when each was written and its request-n, oldest
         * first, one pair per read count (a read's top-ups add up).
         */
        private final ArrayDeque<long[]> pending = new ArrayDeque<>(4);
        /** Inbound side only (the event loop). */
        private long received;
        private boolean continuing;
        private volatile boolean failed;

        private synchronized void grant(LongSupplier socketReads, long n) {
            long reads = socketReads.getAsLong();
            long[] last = pending.peekLast();
            if (last != null && last[0] == reads) {
                last[1] = add(last[1], n);
            } else {
                pending.addLast(new long[] {reads, n});
            }
        }

        /** What counts for a payload read now: the grants written before the read it came in began. */
        private synchronized long granted(LongSupplier socketReads) {
            long reads = socketReads.getAsLong();
            for (long[] first; (first = pending.peekFirst()) != null && first[0] < reads; pending.removeFirst()) {
                granted = add(granted, first[1]);
            }
            return granted;
        }

        private static long add(long a, long b) {
            return Math.min(Long.MAX_VALUE - b, a) + b;
        }
    }
}
