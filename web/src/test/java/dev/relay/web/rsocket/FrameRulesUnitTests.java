package dev.relay.web.rsocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.rsocket.frame.CancelFrameCodec;
import io.rsocket.util.ByteBufPayload;
import io.rsocket.frame.ErrorFrameCodec;
import io.rsocket.frame.KeepAliveFrameCodec;
import io.rsocket.frame.MetadataPushFrameCodec;
import io.rsocket.frame.PayloadFrameCodec;
import io.rsocket.frame.RequestChannelFrameCodec;
import io.rsocket.frame.RequestNFrameCodec;
import io.rsocket.frame.RequestResponseFrameCodec;
import io.rsocket.frame.RequestStreamFrameCodec;
import io.rsocket.frame.ResumeFrameCodec;
import io.rsocket.frame.SetupFrameCodec;
import io.rsocket.exceptions.ApplicationErrorException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The frame rules against frames encoded by rsocket-java's own codecs, and against each way a frame can be broken. */
class FrameRulesUnitTests {

    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    @Test
    void framesEncodedByRsocketJavaPass() {
        assertPass(setup(), true);
        assertPass(ResumeFrameCodec.encode(ALLOC, Unpooled.wrappedBuffer(new byte[]{1, 2}), 0, 0), true);
        assertPass(KeepAliveFrameCodec.encode(ALLOC, true, 42, Unpooled.EMPTY_BUFFER), false);
        assertPass(RequestResponseFrameCodec.encode(ALLOC, 1, false, bytes("route"), bytes("{}")), false);
        assertPass(RequestResponseFrameCodec.encode(ALLOC, 3, false, null, bytes("{}")), false);
        assertPass(RequestStreamFrameCodec.encode(ALLOC, 5, false, Integer.MAX_VALUE, bytes("m"), bytes("d")), false);
        assertPass(RequestChannelFrameCodec.encode(ALLOC, 7, false, false, 1, bytes("m"), bytes("d")), false);
        assertPass(RequestNFrameCodec.encode(ALLOC, 7, 16), false);
        assertPass(CancelFrameCodec.encode(ALLOC, 7), false);
        assertPass(PayloadFrameCodec.encode(ALLOC, 7, false, false, true, bytes("m"), bytes("chunk")), false);
        assertPass(PayloadFrameCodec.encodeComplete(ALLOC, 7), false);
        // A response to a request the server made: even stream ids are fine for everything but requests.
        assertPass(PayloadFrameCodec.encode(ALLOC, 2, false, true, true, null, bytes("x")), false);
        assertPass(ErrorFrameCodec.encode(ALLOC, 7, new ApplicationErrorException("no")), false);
        assertPass(MetadataPushFrameCodec.encode(ALLOC, bytes("m")), false);
    }

    @Test
    void theFirstFrameMustBeSetupAndOnlyTheFirst() {
        assertRejected(RequestResponseFrameCodec.encode(ALLOC, 1, false, null, bytes("{}")), true,
                "the first frame must be SETUP");
        assertRejected(setup(), false, "SETUP is allowed only as the connection's first frame");
        ByteBuf setupOnStreamOne = setup();
        setupOnStreamOne.setInt(0, 1);
        assertRejected(setupOnStreamOne, true, "SETUP must be sent on stream 0");
    }

    @Test
    void truncatedFramesAreRejected() {
        assertRejected(Unpooled.wrappedBuffer(new byte[]{0, 0, 1}), false, "shorter than the 6-byte");
        assertRejected(Unpooled.wrappedBuffer(new byte[]{0, 0, 1}), true, "shorter than the 6-byte");
        ByteBuf setup = setup();
        assertRejected(setup.slice(0, 20), true, "SETUP");
        ByteBuf requestN = RequestNFrameCodec.encode(ALLOC, 7, 16);
        assertRejected(requestN.slice(0, 8), false, "REQUEST_N on stream 7 is too short");
        ByteBuf stream = RequestStreamFrameCodec.encode(ALLOC, 5, false, 1, null, Unpooled.EMPTY_BUFFER);
        assertRejected(stream.slice(0, 7), false, "too short for its initial request-n");
    }

    @Test
    void metadataLongerThanTheFrameIsRejected() {
        ByteBuf frame = RequestResponseFrameCodec.encode(ALLOC, 1, false, bytes("route"), bytes("{}"));
        frame.setMedium(6, 1000);
        assertRejected(frame, false, "declares 1000 bytes of metadata but only 7 follow");
    }

    @Test
    void requestsOnStreamZeroOrOnEvenStreamsAreRejected() {
        ByteBuf zero = RequestResponseFrameCodec.encode(ALLOC, 1, false, null, bytes("{}"));
        zero.setInt(0, 0);
        assertRejected(zero, false, "REQUEST_RESPONSE must not be sent on stream 0");
        assertRejected(RequestStreamFrameCodec.encode(ALLOC, 4, false, 1, null, bytes("d")), false,
                "a client's requests use odd stream ids");
        ByteBuf cancelOnZero = CancelFrameCodec.encode(ALLOC, 1);
        cancelOnZero.setInt(0, 0);
        assertRejected(cancelOnZero, false, "CANCEL must not be sent on stream 0");
        ByteBuf keepAliveOnStream = KeepAliveFrameCodec.encode(ALLOC, true, 0, Unpooled.EMPTY_BUFFER);
        keepAliveOnStream.setInt(0, 9);
        assertRejected(keepAliveOnStream, false, "KEEPALIVE must be sent on stream 0");
    }

    @Test
    void demandMustBePositive() {
        ByteBuf requestN = RequestNFrameCodec.encode(ALLOC, 7, 16);
        requestN.setInt(6, 0);
        assertRejected(requestN, false, "asks for 0");
        ByteBuf channel = RequestChannelFrameCodec.encode(ALLOC, 7, false, false, 1, null, bytes("d"));
        channel.setInt(6, -5);
        assertRejected(channel, false, "asks for -5 items");
    }

    @Test
    void undefinedTypesAreRejectedUnlessTheyMayBeIgnored() {
        for (int type : new int[]{0x00, 0x0F, 0x12, 0x3E}) {
            assertRejected(frame(1, type, 0, 10), false, "is not defined by RSocket 1.0");
            assertThat(FrameRules.check(frame(1, type, FrameRules.FLAG_IGNORE, 10), false))
                    .isInstanceOf(FrameRules.Drop.class);
        }
        assertRejected(frame(0, FrameRules.EXT, 0, 10), false, "extension frames (EXT) are not supported");
        assertThat(FrameRules.check(frame(0, FrameRules.EXT, FrameRules.FLAG_IGNORE, 10), false))
                .isInstanceOf(FrameRules.Drop.class);
        assertRejected(frame(0, FrameRules.RESUME_OK, 0, 8), false, "RESUME_OK is sent by a server");
    }

    @Test
    void randomBytesNeverPassAsAFirstFrameUnlessTheyFormASetup() {
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < 10_000; i++) {
            byte[] garbage = new byte[1 + random.nextInt(600)];
            random.nextBytes(garbage);
            FrameRules.Verdict verdict = FrameRules.check(Unpooled.wrappedBuffer(garbage), true);
            if (!(verdict instanceof FrameRules.Reject)) {
                int type = garbage.length >= 6 ? (garbage[4] & 0xFF) >>> 2 : -1;
                assertThat(type).as("verdict %s for %s", verdict, Arrays.toString(garbage))
                        .isIn(FrameRules.SETUP, FrameRules.RESUME);
            }
        }
    }

    private static ByteBuf setup() {
        return SetupFrameCodec.encode(ALLOC, false, 20_000, 90_000, Unpooled.EMPTY_BUFFER,
                "message/x.rsocket.composite-metadata.v0", "application/json",
                ByteBufPayload.create(bytes("data"), bytes("meta")));
    }

    private static ByteBuf frame(int streamId, int type, int flags, int bodyLength) {
        ByteBuf frame = Unpooled.buffer();
        frame.writeInt(streamId);
        frame.writeShort(type << 10 | flags);
        frame.writeZero(bodyLength);
        return frame;
    }

    private static ByteBuf bytes(String text) {
        return Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8));
    }

    private static void assertPass(ByteBuf frame, boolean first) {
        assertThat(FrameRules.check(frame, first)).isInstanceOf(FrameRules.Pass.class);
    }

    private static void assertRejected(ByteBuf frame, boolean first, String problem) {
        FrameRules.Verdict verdict = FrameRules.check(frame, first);
        assertThat(verdict).isInstanceOf(FrameRules.Reject.class);
        assertThat(((FrameRules.Reject) verdict).problem()).contains(problem);
    }
}
