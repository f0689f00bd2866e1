package dev.relay.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameEncoder;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * What the Java client's CPU per uploaded byte owes to encoding WebSocket frames (bench/masking.sh), in this JVM's
 * Netty settings: rsocket-java's frame for a 256 KiB chunk (a composite of a pooled header and the wrapped chunk) is
 * written through Netty's WebSocket encoder in an EmbeddedChannel, either as before 2026-12-07 ({@code netty}: copied
 * into one buffer as ContiguousFrames did, then masked by Netty's encoder) or through {@link MaskingFrameEncoder}
 * ({@code relay}). No network, no other thread: the figure, in MB per second of this thread's CPU, is the encoding
 * alone (the client's event loop does this for every chunk it sends).
 */
public final class MaskingCost {

    private static final int CHUNK = 256 * 1024;
    private static final int FRAMES_PER_ROUND = 8000;

    private MaskingCost() {
    }

    public static void main(String[] args) {
        boolean relay = args[0].equals("relay");
        int rounds = Integer.parseInt(args[1]);
        EmbeddedChannel channel = new EmbeddedChannel(new WebSocket08FrameEncoder(true));
        if (relay) {
            MaskingFrameEncoder.install(channel);
        }
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        byte[] chunk = new byte[CHUNK];
        byte[] header = {0, 0, 0, 1, 0x28, 0};
        // CPU time of this thread, not wall time: the machine is shared, and a preempted round is not slower code.
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        double[] mbps = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            long started = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < FRAMES_PER_ROUND; i++) {
                CompositeByteBuf frame = alloc.compositeBuffer(2).addComponents(true,
                        alloc.directBuffer(header.length).writeBytes(header), Unpooled.wrappedBuffer(chunk));
                ByteBuf sent = frame;
                if (!relay) {
                    sent = alloc.directBuffer(frame.readableBytes()).writeBytes(frame);
                    frame.release();
                }
                channel.writeOutbound(new BinaryWebSocketFrame(sent));
                ((ByteBuf) channel.readOutbound()).release();
            }
            mbps[round] = (double) FRAMES_PER_ROUND * CHUNK / ((threads.getCurrentThreadCpuTime() - started) / 1e9)
                    / 1e6;
        }
        // The first half warms the JIT up; the median of the second half is the figure.
        double[] measured = Arrays.copyOfRange(mbps, rounds / 2, rounds);
        Arrays.sort(measured);
        double median = measured[measured.length / 2];
        System.out.printf(Locale.ROOT, "%s\t%s\t%.0f\t%.3f%n", args[0],
                System.getProperty("io.netty.buffer.checkAccessible", "default"), median,
                (1L << 30) / (median * 1e6));
    }
}
