package dev.relay.cli.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP forwarder on the loopback interface between the CLI and the service: it can slow the upstream direction
 * down (so a test can act in the middle of an upload), count what went upstream, and cut every connection (a
 * dropped network), while still accepting new ones.
 */
public final class TcpProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final int targetPort;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicLong upstreamBytes = new AtomicLong();
    private volatile long upstreamBytesPerSecond;

    public TcpProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::acceptLoop, "proxy-accept");
        accept.setDaemon(true);
        accept.start();
    }

    public int port() {
        return listener.getLocalPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    /** Bytes per second from client to server; 0 for no limit. Applies at once, also to open connections. */
    public void throttle(long bytesPerSecond) {
        this.upstreamBytesPerSecond = bytesPerSecond;
    }

    /** Everything forwarded from clients to the service so far. */
    public long upstreamBytes() {
        return upstreamBytes.get();
    }

    /** Resets every open connection, as a network failure would; new connections are accepted as before. */
    public void cutConnections() {
        for (Socket socket : sockets) {
            try {
                socket.setSoLinger(true, 0);
                socket.close();
            } catch (IOException ignored) {
                // Already gone.
            }
        }
        sockets.clear();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(server);
                pump(client, server, true);
                pump(server, client, false);
            } catch (IOException e) {
                if (listener.isClosed()) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to, boolean upstream) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream()) {
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                    if (upstream) {
                        upstreamBytes.addAndGet(n);
                        long rate = upstreamBytesPerSecond;
                        if (rate > 0) {
                            LockSupport.parkNanos(n * 1_000_000_000L / rate);
                        }
                    }
                }
                // An orderly end: pass the FIN on and let the other direction drain, so nothing sent is lost.
                to.shutdownOutput();
                if (from.isOutputShutdown()) {
                    closeQuietly(to);
                    closeQuietly(from);
                }
            } catch (IOException e) {
                closeQuietly(to);
                closeQuietly(from);
            }
        }, upstream ? "proxy-up" : "proxy-down");
        thread.setDaemon(true);
        thread.start();
    }

    private void closeQuietly(Socket socket) {
        sockets.remove(socket);
        try {
            socket.close();
        } catch (IOException ignored) {
            // Already closed.
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        cutConnections();
    }
}
