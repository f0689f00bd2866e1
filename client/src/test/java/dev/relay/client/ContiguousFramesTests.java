package dev.relay.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class ContiguousFramesTests {

    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;

    @Test
    void aCompositeFrameBecomesOneBufferWithTheSameBytesAndIsReleased() {
        byte[] header = {0, 0, 0, 1, 0x28, 0};
        byte[] data = new byte[256 * 1024];
        new Random(1).nextBytes(data);
        CompositeByteBuf frame = alloc.compositeBuffer(2)
                .addComponents(true, Unpooled.wrappedBuffer(header), Unpooled.wrappedBuffer(data));
        ByteBuf flat = ContiguousFrames.contiguous(frame, alloc);
        try {
            assertThat(flat.nioBufferCount()).isEqualTo(1);
            assertThat(frame.refCnt()).isZero();
            byte[] sent = new byte[flat.readableBytes()];
            flat.getBytes(flat.readerIndex(), sent);
            byte[] expected = new byte[header.length + data.length];
            System.arraycopy(header, 0, expected, 0, header.length);
            System.arraycopy(data, 0, expected, header.length, data.length);
            assertThat(sent).isEqualTo(expected);
        } finally {
            flat.release();
        }
    }

    @Test
    void smallOrContiguousFramesPassAsTheyAre() {
        CompositeByteBuf small = alloc.compositeBuffer(2)
                .addComponents(true, Unpooled.wrappedBuffer(new byte[10]), Unpooled.wrappedBuffer(new byte[100]));
        assertThat(ContiguousFrames.contiguous(small, alloc)).isSameAs(small);
        ByteBuf single = Unpooled.wrappedBuffer(new byte[100_000]);
        assertThat(ContiguousFrames.contiguous(single, alloc)).isSameAs(single);
        small.release();
        single.release();
    }
}
