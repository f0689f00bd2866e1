package dev.relay.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class MaskingFrameEncoderTests {

    /** The client's outbound pipeline in the order reactor-netty builds it: Netty's encoder, then ours. */
    private final EmbeddedChannel client = new EmbeddedChannel(new WebSocket08FrameEncoder(true));
    /** A server, which refuses frames that are not masked. */
    private final EmbeddedChannel server = new EmbeddedChannel(new WebSocket08FrameDecoder(true, false, 1 << 24));

    MaskingFrameEncoderTests() {
        MaskingFrameEncoder.install(client);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7, 125, 126, 65_535, 65_536, 256 * 1024 + 3})
    void aCompositeFrameArrivesIntactAndMaskedAndIsReleased(int dataBytes) {
        byte[] data = new byte[dataBytes];
        new Random(dataBytes).nextBytes(data);
        // Components of odd lengths: each one starts at another position in the masking key.
        byte[] header = {0, 0, 0, 1, 0x28};
        int split = Math.min(3, dataBytes);
        CompositeByteBuf frame = Unpooled.compositeBuffer().addComponents(true, Unpooled.wrappedBuffer(header),
                Unpooled.wrappedBuffer(data, 0, split), Unpooled.directBuffer(dataBytes).writeBytes(data, split,
                        dataBytes - split));
        BinaryWebSocketFrame sent = new BinaryWebSocketFrame(frame);

        assertThat(client.writeOutbound(sent)).isTrue();
        ByteBuf wire = client.readOutbound();
        assertThat(client.<Object>readOutbound()).isNull();
        assertThat(sent.refCnt()).isZero();
        assertThat(wire.getByte(1) & 0x80).as("mask bit").isEqualTo(0x80);

        server.writeInbound(wire);
        BinaryWebSocketFrame received = server.readInbound();
        try {
            byte[] expected = new byte[header.length + dataBytes];
            System.arraycopy(header, 0, expected, 0, header.length);
            System.arraycopy(data, 0, expected, header.length, dataBytes);
            assertThat(received.isFinalFragment()).isTrue();
            assertThat(ByteBufUtil.getBytes(received.content())).isEqualTo(expected);
        } finally {
            received.release();
        }
    }

    @Test
    void theMaskingKeyCoversEveryByte() {
        byte[] zeros = new byte[64];
        ByteBuf wire = MaskingFrameEncoder.encode(ByteBufAllocator.DEFAULT, true, Unpooled.wrappedBuffer(zeros),
                0x01020304);
        try {
            // 2 header bytes, the key, then 0 XOR key = the key, repeated.
            byte[] masked = ByteBufUtil.getBytes(wire, 6, zeros.length);
            byte[] key = {1, 2, 3, 4};
            for (int i = 0; i < masked.length; i += 4) {
                assertThat(Arrays.copyOfRange(masked, i, i + 4)).isEqualTo(key);
            }
        } finally {
            wire.release();
        }
    }

    @Test
    void otherFramesAreLeftToNettysEncoder() {
        client.writeOutbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[]{1, 2, 3})));
        ByteBuf wire = client.readOutbound();
        server.writeInbound(wire);
        WebSocketFrame received = server.readInbound();
        try {
            assertThat(received).isInstanceOf(PingWebSocketFrame.class);
            assertThat(ByteBufUtil.getBytes(received.content())).containsExactly(1, 2, 3);
        } finally {
            received.release();
        }
    }
}
