package dev.relay.web.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP forwarder between a client and the service that cuts every connection once a chosen number of
 * bytes has gone upstream, in the middle of whatever frame those bytes belong to: with a reset (RST) or an orderly
 * close (FIN). New connections are accepted as before, so a client can reconnect. Adapted from the CLI's TcpProxy.
 */
final class FaultProxy implements AutoCloseable {

    enum Cut { RST, FIN }

    private final ServerSocket listener;
    private final int targetPort;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Object lock = new Object();
    private final AtomicInteger cuts = new AtomicInteger();
    private volatile long lastCutNanos = -1;
    /** Upstream bytes still to forward before the cut; negative when not armed. */
    private long untilCut = -1;
    private Cut cut = Cut.RST;

    FaultProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::acceptLoop, "fault-proxy-accept");
        accept.setDaemon(true);
        accept.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Cuts all connections, the way {@code how} says, after {@code bytes} more bytes went upstream. */
    void arm(long bytes, Cut how) {
        synchronized (lock) {
            untilCut = bytes;
            cut = how;
        }
    }

    void disarm() {
        synchronized (lock) {
            untilCut = -1;
        }
    }

    /** How many cuts have happened so far. */
    int cuts() {
        return cuts.get();
    }

    /** When the last cut happened ({@link System#nanoTime()}). */
    long lastCutNanos() {
        return lastCutNanos;
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
                    int forward = n;
                    boolean cutNow = false;
                    if (upstream) {
                        synchronized (lock) {
                            if (untilCut >= 0 && untilCut <= n) {
                                forward = (int) untilCut;
                                cutNow = true;
                                untilCut = -1;
                            } else if (untilCut > 0) {
                                untilCut -= n;
                            }
                        }
                    }
                    out.write(buffer, 0, forward);
                    out.flush();
                    if (cutNow) {
                        cutAll();
                        return;
                    }
                }
                to.shutdownOutput();
                if (from.isOutputShutdown()) {
                    closeQuietly(to, false);
                    closeQuietly(from, false);
                }
            } catch (IOException e) {
                closeQuietly(to, false);
                closeQuietly(from, false);
            }
        }, upstream ? "fault-proxy-up" : "fault-proxy-down");
        thread.setDaemon(true);
        thread.start();
    }

    private void cutAll() {
        boolean reset;
        synchronized (lock) {
            reset = cut == Cut.RST;
        }
        for (Socket socket : Set.copyOf(sockets)) {
            if (!reset) {
                // FIN both ways first: each side reads an orderly end of stream in the middle of a frame.
                try {
                    socket.shutdownOutput();
                } catch (IOException ignored) {
                    // Already gone.
                }
            }
            closeQuietly(socket, reset);
        }
        lastCutNanos = System.nanoTime();
        cuts.incrementAndGet();
    }

    private void closeQuietly(Socket socket, boolean reset) {
        sockets.remove(socket);
        try {
            if (reset) {
                socket.setSoLinger(true, 0);
            }
            socket.close();
        } catch (IOException ignored) {
            // Already closed.
        }
    }

    @Override
    public void close() throws IOException {
        disarm();
        listener.close();
        for (Socket socket : Set.copyOf(sockets)) {
            closeQuietly(socket, true);
        }
    }
}
