package dev.relay.web.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import io.rsocket.frame.ErrorFrameCodec;
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
 * Credit as docs/protocol.md states it (section 4, Credit), on the wire: a client that sends one payload more than
 * the REQUEST_N frames it received allowed gets an APPLICATION_ERROR frame on that stream with the JSON error body
 * {@code CREDIT_EXCEEDED}, and nothing of the payload beyond the credit is stored.
 */
class CreditOverrunIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;
    private static final int STREAM = 1;
    private static final int SLICE = 10;

    @Test
    void aPayloadBeyondTheGrantedCreditGetsCreditExceededAndIsNotStored() throws Exception {
        AuthToken alice = newUser();
        RelayClient client = client(alice);
        Path file = randomFile(100_000, 47);
        byte[] bytes = Files.readAllBytes(file);
        UploadTicket ticket = client.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        long granted = 0;
        List<String> seen = new ArrayList<>();
        ByteBuf error = null;
        try (RawWebSocket socket = RawWebSocket.connect(ws())) {
            socket.send(Unpooled.wrappedBuffer(RawFrames.setup(alice.token())),
                    RequestChannelFrameCodec.encodeReleasingPayload(ALLOC, STREAM, false, 1000,
                            RelayClient.payload(Routes.of(Routes.UPLOAD_WRITE, ticket.id()), new WriteStart(0))));
            // The credit the server sent, once it has gone quiet.
            for (ByteBuf frame; (frame = socket.receive(Duration.ofMillis(700))) != null; frame.release()) {
                seen.add(FrameHeaderCodec.frameType(frame) + " " + FrameHeaderCodec.streamId(frame));
                if (FrameHeaderCodec.frameType(frame) == FrameType.REQUEST_N) {
                    granted += RequestNFrameCodec.requestN(frame);
                }
            }
            assertThat(granted).as("credit granted (frames: %s)", seen).isPositive();

            // Every granted payload, and one more, in a single write: the server reads them all before any credit
            // it tops up on their arrival can have reached the client. The extra one differs from the file.
            ByteBuf[] frames = new ByteBuf[(int) granted + 1];
            for (int i = 0; i <= granted; i++) {
                byte[] slice = new byte[SLICE];
                System.arraycopy(bytes, i * SLICE, slice, 0, SLICE);
                if (i == granted) {
                    for (int b = 0; b < SLICE; b++) {
                        slice[b] = (byte) ~slice[b];
                    }
                }
                frames[i] = PayloadFrameCodec.encodeNextReleasingPayload(ALLOC, STREAM,
                        ByteBufPayload.create(Unpooled.wrappedBuffer(slice)));
            }
            socket.send(frames);
            for (ByteBuf frame; error == null && (frame = socket.receive(Duration.ofSeconds(15))) != null; ) {
                FrameType type = FrameHeaderCodec.frameType(frame);
                seen.add(type + " " + FrameHeaderCodec.streamId(frame));
                if (type == FrameType.ERROR) {
                    error = frame;
                } else {
                    frame.release();
                }
            }
        }
        assertThat(error).as("an ERROR frame after the overrun (frames: %s)", seen).isNotNull();
        assertThat(FrameHeaderCodec.streamId(error)).isEqualTo(STREAM);
        assertThat(ErrorFrameCodec.errorCode(error)).as("APPLICATION_ERROR")
                .isEqualTo(ErrorFrameCodec.APPLICATION_ERROR);
        JsonNode body = new ObjectMapper().readTree(ErrorFrameCodec.dataUtf8(error));
        error.release();
        assertThat(body.path("code").asText()).isEqualTo("CREDIT_EXCEEDED");
        assertThat(body.path("message").asText()).isNotBlank();

        // What arrived within credit is kept; the payload beyond it is not.
        long within = granted * SLICE;
        UploadInfo info = awaitUpload(client, ticket.id(), i -> i.offset() >= within, TIMEOUT);
        assertThat(info.offset()).as("the durable offset").isEqualTo(within);
        assertThat(info.state()).isEqualTo(UploadState.ACTIVE);
        UploadInfo done = new FileTransfers(client).resume(ticket.id(), file, CHUNK, e -> { }).block(TIMEOUT);
        assertThat(done.state()).isEqualTo(UploadState.COMPLETED);
        assertThat(done.sha256()).as("the stored bytes are the file's").isEqualTo(FileTransfers.sha256(file));
    }
}
