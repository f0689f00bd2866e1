package dev.relay.web.faults;

import dev.relay.api.Routes;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.ReadRequest;
import dev.relay.api.wire.UploadInfo;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import dev.relay.streaming.download.DownloadService;
import dev.relay.streaming.download.DownloadStats;
import dev.relay.web.support.ServiceIntegrationTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.rsocket.frame.FrameHeaderCodec;
import io.rsocket.frame.FrameType;
import io.rsocket.frame.PayloadFrameCodec;
import io.rsocket.frame.RequestStreamFrameCodec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A reader that asks for everything (request-n 2^31-1, or a whole HTTP body) and then stops reading its socket: the
 * service must read no more from S3 for it than the download window plus what the socket buffers took
 * (docs/protocol.md §5), and the reader must still get the whole file once it reads again.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StalledReaderIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int STREAM = 1;
    /** The stalled client's receive buffer: small, so that the kernel holds little on its side. */
    private static final int CLIENT_RECEIVE_BUFFER = 64 * 1024;
    /**
     * What may leave the service's memory without the client reading: the kernel's send buffer (tcp_wmem's maximum,
     * 4 MiB here), the client's receive buffer, Netty's outbound buffer (its high water mark) and one frame.
     */
    private static final long SOCKET_SLACK = 4L * 1024 * 1024 + CLIENT_RECEIVE_BUFFER + 512 * 1024;
    private static final long SIZE = 48L * 1024 * 1024 + 12345;

    @Autowired
    private DownloadService downloads;

    private AuthToken owner;
    private UploadInfo file;

    @BeforeAll
    void uploadOnce() throws Exception {
        owner = newUser();
        Path path = randomFile(SIZE, 61);
        try (RelayClient client = RelayClient.connect(ws(), owner.token())) {
            file = new FileTransfers(client).upload(path, "application/octet-stream", e -> { }).block(TIMEOUT);
        }
    }

    @Test
    void anRSocketReaderThatAsksForEverythingAndReadsNothingHoldsOnlyTheWindow() throws Exception {
        DownloadStats stats = downloads.stats();
        long before = stats.storeBytes();
        try (RawWebSocket socket = RawWebSocket.connect(ws(), CLIENT_RECEIVE_BUFFER)) {
            socket.send(Unpooled.wrappedBuffer(RawFrames.setup(owner.token())),
                    RequestStreamFrameCodec.encodeReleasingPayload(ByteBufAllocator.DEFAULT, STREAM,
                            Integer.MAX_VALUE, RelayClient.payload(Routes.of(Routes.FILE_READ, file.id()),
                                    new ReadRequest(0))));
            long read = awaitQuietStore(stats) - before;
            System.out.printf("[stalled reader] RSocket: %d KiB read from S3, %d KiB held%n", read >> 10,
                    stats.heldBytes() >> 10);
            assertThat(read).as("bytes read from S3 for a reader that reads nothing")
                    .isLessThanOrEqualTo(window() + SOCKET_SLACK);
            assertThat(stats.heldBytes()).as("bytes held, read and not yet written").isLessThanOrEqualTo(window());

            // Meanwhile another reader is served in full.
            MessageDigest other = MessageDigest.getInstance("SHA-256");
            client(owner).read(file.id(), 0).doOnNext(other::update).blockLast(TIMEOUT);
            assertThat(HexFormat.of().formatHex(other.digest())).isEqualTo(file.sha256());

            // The stalled reader reads again and gets every byte, in order.
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            long received = 0;
            boolean complete = false;
            while (!complete) {
                ByteBuf frame = socket.receive(Duration.ofSeconds(30));
                assertThat(frame).as("a frame after %d bytes", received).isNotNull();
                try {
                    if (FrameHeaderCodec.streamId(frame) != STREAM) {
                        continue;
                    }
                    FrameType type = FrameHeaderCodec.frameType(frame);
                    assertThat(type).isIn(FrameType.NEXT, FrameType.NEXT_COMPLETE, FrameType.COMPLETE);
                    if (type != FrameType.COMPLETE) {
                        ByteBuf data = PayloadFrameCodec.data(frame);
                        received += data.readableBytes();
                        digest.update(data.nioBuffer());
                    }
                    complete = type != FrameType.NEXT;
                } finally {
                    frame.release();
                }
            }
            assertThat(received).isEqualTo(SIZE);
            assertThat(HexFormat.of().formatHex(digest.digest())).isEqualTo(file.sha256());
        }
        assertThat(stats.heldBytes()).as("nothing held once the download is done").isZero();
    }

    @Test
    void anHttpReaderThatReadsNothingHoldsOnlyTheWindow() throws Exception {
        DownloadStats stats = downloads.stats();
        long before = stats.storeBytes();
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(CLIENT_RECEIVE_BUFFER);
            socket.connect(new InetSocketAddress("127.0.0.1", port));
            OutputStream out = socket.getOutputStream();
            out.write(("GET /api/files/" + file.id() + "/content HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nAuthorization: Bearer " + owner.token() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long read = awaitQuietStore(stats) - before;
            System.out.printf("[stalled reader] HTTP: %d KiB read from S3, %d KiB held%n", read >> 10,
                    stats.heldBytes() >> 10);
            assertThat(read).isLessThanOrEqualTo(window() + SOCKET_SLACK);
            assertThat(stats.heldBytes()).isLessThanOrEqualTo(window());

            DataInputStream in = new DataInputStream(socket.getInputStream());
            String line;
            long length = -1;
            while (!(line = RawWebSocket.line(in)).isEmpty()) {
                if (line.toLowerCase().startsWith("content-length:")) {
                    length = Long.parseLong(line.substring(15).trim());
                }
            }
            assertThat(length).isEqualTo(SIZE);
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[64 * 1024];
            for (long left = length; left > 0; ) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                assertThat(n).as("body bytes").isPositive();
                digest.update(buffer, 0, n);
                left -= n;
            }
            assertThat(HexFormat.of().formatHex(digest.digest())).isEqualTo(file.sha256());
        }
    }

    private long window() {
        return downloads.settings().windowBytes();
    }

    /** The store's byte count once it has not moved for a second (at most 15 s). */
    private static long awaitQuietStore(DownloadStats stats) throws InterruptedException {
        long last = -1;
        long quietSince = System.nanoTime();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        Thread.sleep(300);
        while (System.nanoTime() < deadline) {
            long now = stats.storeBytes();
            if (now != last) {
                last = now;
                quietSince = System.nanoTime();
            } else if (System.nanoTime() - quietSince > Duration.ofSeconds(1).toNanos()) {
                break;
            }
            Thread.sleep(100);
        }
        return last;
    }
}
