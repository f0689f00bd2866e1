package dev.relay.web.rsocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoop;
import io.rsocket.frame.PayloadFrameCodec;
import io.rsocket.frame.RequestChannelFrameCodec;
import io.rsocket.frame.RequestNFrameCodec;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Which payloads a REQUEST_N covers: those of socket reads that began after it was written, whatever thread wrote it
 * and whatever the event loop runs in between.
 */
class CreditLedgerUnitTests {

    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;
    private static final int STREAM = 1;

    private final AtomicLong reads = new AtomicLong();
    private final CreditLedger ledger = new CreditLedger(reads::get);

    @BeforeEach
    void openChannel() {
        read();
        assertThat(ledger.inbound(RequestChannelFrameCodec.encode(ALLOC, STREAM, false, false, 1, null,
                Unpooled.wrappedBuffer(new byte[] {1})))).isEqualTo(CreditLedger.Verdict.PASS);
        grant(2);
    }

    @Test
    void aGrantWrittenDuringAReadCountsForTheNextReadWithNothingElseRunInBetween() throws Exception {
        // All in one task of an event loop: a busy loop may read again before it runs tasks queued meanwhile.
        DefaultEventLoop loop = new DefaultEventLoop();
        try {
            loop.submit(() -> {
                read();
                assertThat(payload()).isEqualTo(CreditLedger.Verdict.PASS);
                // The engine tops up as the chunk arrives; the client answers at once, in the next read.
                grant(1);
                assertThat(payload()).as("the second payload of the same read, within the first grant")
                        .isEqualTo(CreditLedger.Verdict.PASS);
                read();
                assertThat(payload()).as("a payload sent after the top-up reached the client")
                        .isEqualTo(CreditLedger.Verdict.PASS);
            }).get();
        } finally {
            loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }
    }

    @Test
    void aGrantNeverCoversPayloadsOfTheReadDuringWhichItWasWritten() {
        read();
        assertThat(payload()).isEqualTo(CreditLedger.Verdict.PASS);
        grant(5);
        assertThat(payload()).isEqualTo(CreditLedger.Verdict.PASS);
        assertThat(payload()).as("a third payload of the read: the client cannot have seen the top-up")
                .isEqualTo(CreditLedger.Verdict.OVERRUN);
        read();
        assertThat(payload()).as("the channel failed: the rest is dropped").isEqualTo(CreditLedger.Verdict.DROP);
    }

    @Test
    void aGrantFromAnotherThreadCountsFromTheNextRead() throws Exception {
        read();
        assertThat(payload()).isEqualTo(CreditLedger.Verdict.PASS);
        assertThat(payload()).isEqualTo(CreditLedger.Verdict.PASS);
        CompletableFuture.runAsync(() -> grant(3)).get();
        read();
        for (int i = 0; i < 3; i++) {
            assertThat(payload()).as("payload %d of the grant from another thread", i).isEqualTo(
                    CreditLedger.Verdict.PASS);
        }
        assertThat(payload()).isEqualTo(CreditLedger.Verdict.OVERRUN);
    }

    @Test
    void topUpsOfManyReadsAddUp() {
        for (int i = 0; i < 100; i++) {
            read();
            assertThat(payload()).as("payload %d", i).isEqualTo(CreditLedger.Verdict.PASS);
            grant(1);
        }
        read();
        assertThat(payload()).isEqualTo(CreditLedger.Verdict.PASS);
        assertThat(payload()).isEqualTo(CreditLedger.Verdict.PASS);
        assertThat(payload()).isEqualTo(CreditLedger.Verdict.OVERRUN);
    }

    private void read() {
        reads.incrementAndGet();
    }

    private void grant(int n) {
        ByteBuf frame = RequestNFrameCodec.encode(ALLOC, STREAM, n);
        try {
            assertThat(ledger.outbound(STREAM, frame)).isTrue();
        } finally {
            frame.release();
        }
    }

    private CreditLedger.Verdict payload() {
        ByteBuf frame = PayloadFrameCodec.encodeNextReleasingPayload(ALLOC, STREAM,
                io.rsocket.util.ByteBufPayload.create(new byte[] {7}));
        try {
            return ledger.inbound(frame);
        } finally {
            frame.release();
        }
    }
}
