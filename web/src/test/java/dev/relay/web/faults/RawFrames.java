package dev.relay.web.faults;

import dev.relay.api.MimeTypes;
import dev.relay.client.RelayClient;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.rsocket.frame.SetupFrameCodec;
import io.rsocket.metadata.CompositeMetadataCodec;
import io.rsocket.metadata.WellKnownMimeType;
import io.rsocket.util.ByteBufPayload;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RSocket frames built by hand, and a WebSocket to the RSocket endpoint without rsocket-java, for the bad-input
 * cases that rsocket-java's own client would never send.
 */
final class RawFrames {

    private RawFrames() {
    }

    /**
     * Opens a WebSocket to {@code ws}, sends a valid SETUP first if {@code setupToken} is not null, then sends
     * {@code bytes} as one binary message, and expects the server to close the connection, answering with nothing
     * but ERROR frames: at least one when {@code errorFrame}, which a frame the RSocket layer sees must get (a
     * message above the WebSocket limit is refused by the WebSocket layer before any frame exists). Never a hang,
     * never a crash; what the server answered is printed.
     */
    static void expectErrorAndClose(HttpClient http, URI ws, String setupToken, byte[] bytes, boolean errorFrame)
            throws Exception {
        CompletableFuture<String> ended = new CompletableFuture<>();
        List<String> frames = new CopyOnWriteArrayList<>();
        WebSocket socket = http.newWebSocketBuilder().buildAsync(ws, new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
                frames.add(describe(data));
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int status, String reason) {
                ended.complete("closed " + status + " " + reason);
                return null;
            }

            @Override
            public void onError(WebSocket webSocket, Throwable error) {
                ended.complete("error " + error);
            }
        }).get(10, TimeUnit.SECONDS);
        try {
            if (setupToken != null) {
                socket.sendBinary(ByteBuffer.wrap(setup(setupToken)), true).get(10, TimeUnit.SECONDS);
            }
            try {
                socket.sendBinary(ByteBuffer.wrap(bytes), true).get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                // The server closed the connection while the message was still being sent.
                ended.complete("closed while sending: " + e.getCause());
            }
            String how = awaitClosed(socket, ended, frames);
            System.out.println("[faults] raw WebSocket: server answered " + frames + ", then " + how);
            assertThat(frames).as("only ERROR frames come back")
                    .allSatisfy(f -> assertThat(f).startsWith("ERROR stream 0 "));
            if (errorFrame) {
                assertThat(frames).as("an ERROR frame tells the client why it is being disconnected").isNotEmpty();
            }
        } finally {
            socket.abort();
        }
    }

    /**
     * Waits up to 20 s for the server to close the connection. The JDK's WebSocket does not always report a TCP close
     * that comes without a WebSocket close frame (seen right after an ERROR frame), so a ping every half second
     * finds out: writing to a connection the server has closed fails.
     */
    private static String awaitClosed(WebSocket socket, CompletableFuture<String> ended, List<String> frames)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try {
                return ended.get(500, TimeUnit.MILLISECONDS);
            } catch (TimeoutException stillOpen) {
                try {
                    socket.sendPing(ByteBuffer.allocate(0)).get(5, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    return "closed (a ping failed: " + e.getCause() + ")";
                }
            }
        }
        throw new AssertionError("the server did not close the connection within 20 s; it answered " + frames);
    }

    /** An ERROR frame as "ERROR stream n code 0xC message"; any other frame by its type and stream. */
    private static String describe(ByteBuffer data) {
        if (data.remaining() < 6) {
            return "short frame of " + data.remaining() + " bytes";
        }
        int streamId = data.getInt(data.position());
        int type = (data.getShort(data.position() + 4) & 0xFFFF) >>> 10;
        if (type == 0x0B && data.remaining() >= 10) {
            int code = data.getInt(data.position() + 6);
            byte[] message = new byte[data.remaining() - 10];
            data.duplicate().position(data.position() + 10).get(message);
            return String.format("ERROR stream %d code 0x%X %s", streamId, code,
                    new String(message, StandardCharsets.UTF_8));
        }
        return String.format("frame type 0x%X on stream %d", type, streamId);
    }

    /** A valid SETUP frame carrying {@code token} as bearer authentication, as RelayClient sends it. */
    static byte[] setup(String token) {
        ByteBuf frame = SetupFrameCodec.encode(ByteBufAllocator.DEFAULT, false, 20_000, 90_000,
                Unpooled.EMPTY_BUFFER, MimeTypes.COMPOSITE_METADATA, MimeTypes.JSON,
                ByteBufPayload.create(Unpooled.EMPTY_BUFFER, RelayClient.bearer(token)));
        try {
            return ByteBufUtil.getBytes(frame);
        } finally {
            frame.release();
        }
    }

    /** A REQUEST_RESPONSE frame on stream 0, which only the connection itself may use. */
    static byte[] requestResponseOnStreamZero() {
        ByteBuffer frame = ByteBuffer.allocate(6 + 2);
        frame.putInt(0);
        frame.putShort((short) (0x04 << 10));
        frame.put((byte) '{').put((byte) '}');
        return frame.array();
    }

    /** Composite metadata that is well formed but has no route in it (only a text/plain entry). */
    static ByteBuf metadataWithoutRoute() {
        CompositeByteBuf metadata = ByteBufAllocator.DEFAULT.compositeBuffer();
        CompositeMetadataCodec.encodeAndAddMetadata(metadata, ByteBufAllocator.DEFAULT,
                WellKnownMimeType.TEXT_PLAIN, Unpooled.wrappedBuffer("hello".getBytes(StandardCharsets.UTF_8)));
        return metadata;
    }
}
