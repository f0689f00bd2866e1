package dev.relay.web.faults;

import dev.relay.api.Routes;
import dev.relay.api.UploadState;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.api.wire.WriteStart;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import dev.relay.web.support.ServiceIntegrationTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.rsocket.frame.FrameHeaderCodec;
import io.rsocket.frame.FrameType;
import io.rsocket.frame.PayloadFrameCodec;
import io.rsocket.frame.RequestChannelFrameCodec;
import io.rsocket.frame.RequestNFrameCodec;
import io.rsocket.util.ByteBufPayload;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client whose WebSocket splits each large message into several frames (a first frame and continuation frames,
 * as Chromium does with large messages): every RSocket frame is still read whole, so a browser may send a chunk as
 * one RSocket frame instead of 64 KiB fragments (docs/protocol.md, section 1).
 */
class SplitMessageIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int STREAM = 1;
    private static final int SLICE = 200_000;

    @Test
    void anUploadWhoseMessagesArriveInContinuationFramesIsStoredWhole() throws Exception {
        AuthToken alice = newUser();
        RelayClient client = client(alice);
        Path file = randomFile(5 * SLICE + 123, 61);
        byte[] bytes = Files.readAllBytes(file);
        UploadTicket ticket = client.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        List<String> seen = new ArrayList<>();
        try (RawWebSocket socket = RawWebSocket.connect(ws())) {
            socket.sendSplit(Unpooled.wrappedBuffer(RawFrames.setup(alice.token())), 3);
            socket.sendSplit(RequestChannelFrameCodec.encodeReleasingPayload(ByteBufAllocator.DEFAULT, STREAM, false,
                    1000, RelayClient.payload(Routes.of(Routes.UPLOAD_WRITE, ticket.id()), new WriteStart(0))), 2);
            long granted = 0;
            int sent = 0;
            while (sent < bytes.length) {
                for (ByteBuf frame; granted == 0 && (frame = socket.receive(TIMEOUT)) != null; frame.release()) {
                    seen.add(FrameHeaderCodec.frameType(frame) + " " + FrameHeaderCodec.streamId(frame));
                    assertThat(FrameHeaderCodec.frameType(frame)).as("frames: %s", seen).isNotEqualTo(FrameType.ERROR);
                    if (FrameHeaderCodec.frameType(frame) == FrameType.REQUEST_N) {
                        granted += RequestNFrameCodec.requestN(frame);
                    }
                }
                assertThat(granted).as("credit (frames: %s)", seen).isPositive();
                int length = Math.min(SLICE, bytes.length - sent);
                socket.sendSplit(PayloadFrameCodec.encodeNextReleasingPayload(ByteBufAllocator.DEFAULT, STREAM,
                        ByteBufPayload.create(Unpooled.wrappedBuffer(bytes, sent, length))), 4);
                sent += length;
                granted--;
            }
            UploadInfo done = awaitUpload(client, ticket.id(), i -> i.state() == UploadState.COMPLETED, TIMEOUT);
            assertThat(done.sha256()).as("the stored bytes are the file's").isEqualTo(FileTransfers.sha256(file));
        }
    }
}
