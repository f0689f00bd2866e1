package dev.relay.web.faults;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client on a plain socket, for RSocket frames built by hand. Unlike the JDK's WebSocket it can put
 * several messages into one TCP write ({@link #send}), so the server reads them together: what a client that does
 * not wait for credit looks like on the wire, without depending on timing.
 */
public final class RawWebSocket implements AutoCloseable {

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Opens {@code ws} (a ws:// URI) and completes the WebSocket handshake. */
    public static RawWebSocket connect(URI ws) throws IOException {
        return connect(ws, 0);
    }

    /**
     * Opens {@code ws} with a TCP receive buffer of {@code receiveBufferBytes} (0: the system's default), set before
     * connecting so that it also bounds the window the server may send into while this client reads nothing.
     */
    public static RawWebSocket connect(URI ws, int receiveBufferBytes) throws IOException {
        Socket tcp = new Socket();
        if (receiveBufferBytes > 0) {
            tcp.setReceiveBufferSize(receiveBufferBytes);
        }
        tcp.connect(new InetSocketAddress(ws.getHost(), ws.getPort()));
        RawWebSocket socket = new RawWebSocket(tcp);
        byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        String request = "GET " + ws.getPath() + " HTTP/1.1\r\nHost: " + ws.getHost() + ":" + ws.getPort()
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                + Base64.getEncoder().encodeToString(key) + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
        socket.out.write(request.getBytes(StandardCharsets.US_ASCII));
        socket.out.flush();
        String status = socket.line();
        if (!status.contains(" 101 ")) {
            throw new IOException("WebSocket upgrade refused: " + status);
        }
        while (!socket.line().isEmpty()) {
            // headers
        }
        return socket;
    }

    /** Sends each frame as one binary message, all of them in a single TCP write; releases the frames. */
    public void send(ByteBuf... frames) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (ByteBuf frame : frames) {
            byte[] payload = ByteBufUtil.getBytes(frame);
            frame.release();
            all.write(0x82); // FIN, binary
            header(all, payload.length);
            all.write(payload);
        }
        out.write(all.toByteArray());
        out.flush();
    }

    /**
     * Sends {@code frame} as one binary message split into {@code pieces} WebSocket frames (a first one without FIN,
     * then continuation frames), as a browser may send a large message; releases the frame.
     */
    public void sendSplit(ByteBuf frame, int pieces) throws IOException {
        byte[] payload = ByteBufUtil.getBytes(frame);
        frame.release();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        int step = (payload.length + pieces - 1) / pieces;
        for (int at = 0, piece = 0; at < payload.length; at += step, piece++) {
            int length = Math.min(step, payload.length - at);
            boolean last = at + length == payload.length;
            all.write((last ? 0x80 : 0) | (piece == 0 ? 0x2 : 0x0)); // binary, then continuation
            header(all, length);
            all.write(payload, at, length);
        }
        out.write(all.toByteArray());
        out.flush();
    }

    /** A client frame's length and its (zero: the payload goes as it is) masking key. */
    private static void header(ByteArrayOutputStream all, int length) throws IOException {
        if (length < 126) {
            all.write(0x80 | length);
        } else if (length < 65536) {
            all.write(0x80 | 126);
            all.write(length >>> 8);
            all.write(length);
        } else {
            all.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                all.write((int) ((long) length >>> shift));
            }
        }
        all.write(new byte[4]);
    }

    /** The next binary message (an RSocket frame), or null if the server closed or nothing came within the wait. */
    public ByteBuf receive(Duration wait) throws IOException {
        socket.setSoTimeout((int) wait.toMillis());
        try {
            while (true) {
                int first = in.readUnsignedByte();
                int second = in.readUnsignedByte();
                long length = second & 0x7F;
                if (length == 126) {
                    length = in.readUnsignedShort();
                } else if (length == 127) {
                    length = in.readLong();
                }
                byte[] payload = new byte[(int) length];
                in.readFully(payload);
                int opcode = first & 0x0F;
                if (opcode == 0x8) {
                    return null;
                }
                if (opcode == 0x2) {
                    return Unpooled.wrappedBuffer(payload);
                }
                // ping, pong, text: not RSocket frames
            }
        } catch (SocketTimeoutException | EOFException e) {
            return null;
        }
    }

    private String line() throws IOException {
        return line(in);
    }

    /** One line of an HTTP head, without its CR LF. */
    static String line(DataInputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
