package dev.relay.infra.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP forwarder on the loopback interface between a client and the service, for tests of dropped networks: it can
 * slow the upstream direction down (so a test can act in the middle of an upload), count what went upstream, and cut
 * every connection, at once or once a chosen number of bytes has gone upstream (in the middle of whatever frame they
 * belong to), with a reset (RST) or an orderly close (FIN), or turn the open connections into a black hole (a
 * half-open connection: neither side hears anything more, nor learns that). New connections are accepted as before,
 * so a client can reconnect. Shared by the service's fault suite and the CLI's tests (infra's test-jar).
 */
public final class TcpProxy implements AutoCloseable {

    /** How a cut ends the connections. */
    public enum Cut { RST, FIN }

    private final ServerSocket listener;
    private final int targetPort;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicLong upstreamBytes = new AtomicLong();
    private final AtomicInteger cuts = new AtomicInteger();
    private volatile long upstreamBytesPerSecond;
    private volatile long lastCutNanos = -1;
    /** Connections opened before this many black holes swallow everything (see {@link #blackHole()}). */
    private final AtomicInteger blackHoles = new AtomicInteger();
    private final Object lock = new Object();
    /** Upstream bytes still to forward before an armed cut; negative when not armed. */
    private long untilCut = -1;
    private Cut armedCut = Cut.RST;

    public TcpProxy(int targetPort) throws IOException {
        this(0, targetPort);
    }

    /**
     * A proxy on a chosen port: a closed proxy's port opened again, so that whatever the closed one forwarded to
     * becomes reachable again at the same address.
     */
    public static TcpProxy listeningOn(int port, int targetPort) throws IOException {
        return new TcpProxy(port, targetPort);
    }

    private TcpProxy(int listenPort, int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.listener = new ServerSocket(listenPort, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::acceptLoop, "tcp-proxy-accept");
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

    /** Resets every open connection now, as a network failure would. */
    public void cutConnections() {
        cutAll(Cut.RST);
    }

    /** Cuts all connections, the way {@code how} says, after {@code bytes} more bytes went upstream. */
    public void arm(long bytes, Cut how) {
        synchronized (lock) {
            untilCut = bytes;
            armedCut = how;
        }
    }

    public void disarm() {
        synchronized (lock) {
            untilCut = -1;
        }
    }

    /**
     * From now on, the connections open now forward nothing in either direction, not even a close: each side keeps
     * a connection that has silently died, as after a network partition. Connections opened later work normally.
     */
    public void blackHole() {
        blackHoles.incrementAndGet();
    }

    /** How many cuts have happened so far. */
    public int cuts() {
        return cuts.get();
    }

    /** When the last cut happened ({@link System#nanoTime()}), or -1. */
    public long lastCutNanos() {
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
                int generation = blackHoles.get();
                pump(client, server, true, generation);
                pump(server, client, false, generation);
            } catch (IOException e) {
                if (listener.isClosed()) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to, boolean upstream, int generation) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream()) {
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (blackHoles.get() != generation) {
                        continue; // swallowed
                    }
                    int forward = n;
                    Cut cutNow = null;
                    if (upstream) {
                        synchronized (lock) {
                            if (untilCut >= 0 && untilCut <= n) {
                                forward = (int) untilCut;
                                cutNow = armedCut;
                                untilCut = -1;
                            } else if (untilCut > 0) {
                                untilCut -= n;
                            }
                        }
                    }
                    out.write(buffer, 0, forward);
                    out.flush();
                    if (cutNow != null) {
                        cutAll(cutNow);
                        return;
                    }
                    if (upstream) {
                        upstreamBytes.addAndGet(forward);
                        long rate = upstreamBytesPerSecond;
                        if (rate > 0) {
                            LockSupport.parkNanos(forward * 1_000_000_000L / rate);
                        }
                    }
                }
                if (blackHoles.get() != generation) {
                    return; // a black hole passes no FIN on either
                }
                // An orderly end: pass the FIN on and let the other direction drain, so nothing sent is lost.
                to.shutdownOutput();
                if (from.isOutputShutdown()) {
                    closeQuietly(to, false);
                    closeQuietly(from, false);
                }
            } catch (IOException e) {
                if (blackHoles.get() == generation) {
                    closeQuietly(to, false);
                    closeQuietly(from, false);
                }
            }
        }, upstream ? "tcp-proxy-up" : "tcp-proxy-down");
        thread.setDaemon(true);
        thread.start();
    }

    private void cutAll(Cut how) {
        for (Socket socket : Set.copyOf(sockets)) {
            if (how == Cut.FIN) {
                // FIN both ways first: each side reads an orderly end of stream in the middle of a frame.
                try {
                    socket.shutdownOutput();
                } catch (IOException ignored) {
                    // Already gone.
                }
            }
            closeQuietly(socket, how == Cut.RST);
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
        cutAll(Cut.RST);
    }
}
