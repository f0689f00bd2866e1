package dev.relay.web.support;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One GET on a new connection, as a load balancer's health check makes it (a pooled client could go on using a
 * connection the server accepted before it closed its listener).
 */
public final class HttpProbe {

    /** The port did not accept the connection. */
    public static final int REFUSED = -1;

    private HttpProbe() {
    }

    public record Answer(int status, String body) {
    }

    /** The status of {@code GET path}, or {@link #REFUSED}. */
    public static int status(int port, String path) {
        return get(port, path).status();
    }

    public static Answer get(int port, String path) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (response.isEmpty()) {
                return new Answer(REFUSED, "");
            }
            int status = Integer.parseInt(response.substring(9, 12));
            int bodyAt = response.indexOf("\r\n\r\n");
            return new Answer(status, bodyAt < 0 ? "" : response.substring(bodyAt + 4));
        } catch (ConnectException e) {
            return new Answer(REFUSED, "");
        } catch (IOException e) {
            // Accepted, then closed without an answer: the server is going away.
            return new Answer(REFUSED, e.toString());
        }
    }
}
