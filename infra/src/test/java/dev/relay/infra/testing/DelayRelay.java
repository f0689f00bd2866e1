package dev.relay.infra.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP relay on loopback that delivers every byte a fixed delay after it arrived, in each direction: a path with
 * that one-way latency and no bandwidth limit, for machines whose kernel has no netem qdisc.
 *
 * <p>Each direction is a delay line: a reader timestamps what it reads and a writer hands it on once its time has
 * come. The line holds up to {@link #LINE_BYTES} in flight, more than any credit window, so the sender's TCP window
 * does not limit throughput; what limits it is what the applications themselves wait for (here: RSocket credit that
 * returns one round trip later). A receiver that reads slower than its sender sends (a tus server writing to S3)
 * holds the sender back once the line is full, as a TCP window would. A real 40 ms path would add kernel TCP
 * dynamics (slow start, receive-window growth) on top of that. Used by the benchmark (bench/run.sh compiles it with
 * the harness) and the fault suite's slow-link case.
 */
public final class DelayRelay implements AutoCloseable {

    private static final int BUFFER_BYTES = 256 * 1024;
    /**
     * What one direction may hold. Unbounded, a tus upload at 40 ms piled up most of a 1 GiB file in the line, in
     * 256 KiB buffers that small reads filled only partly: 6 GB of direct memory, then an OutOfMemoryError.
     */
    private static final int LINE_BYTES = 64 << 20;
    /** A read is charged at least this much against the line, so small reads cannot pile up buffers without end. */
    private static final int MIN_CHARGE = 64 * 1024;

    private final InetSocketAddress target;
    private final long delayNanos;
    private final ServerSocketChannel server;
    private final List<SocketChannel> sockets = new CopyOnWriteArrayList<>();
    /**
     * Buffers handed back by the writers once written. A fresh array per read, held for the delay, made the garbage
     * collector copy everything in flight again and again: at 20 ms that cost more CPU than the copying itself.
     * Direct buffers on channels: a socket stream on a heap array copies every byte once more on each side (through
     * a native buffer), which on the benchmark's two shared cores is CPU taken from the client, service and S3.
     */
    private final Queue<ByteBuffer> free = new ConcurrentLinkedQueue<>();

    /** Bytes to write at {@code dueNanos}; a null buffer ends the direction. */
    private record Segment(long dueNanos, ByteBuffer bytes) {
    }

    public DelayRelay(InetSocketAddress target, Duration oneWay) throws IOException {
        this.target = target;
        this.delayNanos = oneWay.toNanos();
        this.server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        daemon("delay-relay-accept", this::acceptLoop).start();
    }

    public int port() {
        return server.socket().getLocalPort();
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                SocketChannel upstream = SocketChannel.open(target);
                for (SocketChannel s : List.of(client, upstream)) {
                    s.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    sockets.add(s);
                }
                pipe(client, upstream);
                pipe(upstream, client);
            } catch (IOException e) {
                if (server.isOpen()) {
                    System.err.println("delay relay: " + e);
                }
            }
        }
    }

    /** One direction: bytes read from {@code from} are written to {@code to} {@link #delayNanos} later. */
    private void pipe(SocketChannel from, SocketChannel to) {
        BlockingQueue<Segment> line = new LinkedBlockingQueue<>();
        Semaphore room = new Semaphore(LINE_BYTES);
        daemon("delay-relay-read", () -> {
            try {
                while (true) {
                    ByteBuffer buffer = free.poll();
                    if (buffer == null) {
                        buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
                    }
                    if (from.read(buffer) < 0) {
                        free.offer(buffer.clear());
                        break;
                    }
                    room.acquire(charge(buffer.position()));
                    line.add(new Segment(System.nanoTime() + delayNanos, buffer.flip()));
                }
            } catch (IOException | InterruptedException closed) {
                // The connection went away; the writer ends the other side after what is in flight.
            }
            line.add(new Segment(System.nanoTime() + delayNanos, null));
        }).start();
        daemon("delay-relay-write", () -> {
            try {
                while (true) {
                    Segment next = line.take();
                    long wait;
                    while ((wait = next.dueNanos - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    if (next.bytes == null) {
                        to.shutdownOutput();
                        return;
                    }
                    int length = next.bytes.remaining();
                    while (next.bytes.hasRemaining()) {
                        to.write(next.bytes);
                    }
                    free.offer(next.bytes.clear());
                    room.release(charge(length));
                }
            } catch (IOException | InterruptedException e) {
                closeQuietly(from);
                closeQuietly(to);
                room.release(LINE_BYTES); // a reader waiting for room wakes and finds its channel closed
            }
        }).start();
    }

    private static int charge(int bytes) {
        return Math.max(bytes, MIN_CHARGE);
    }

    @Override
    public void close() {
        closeQuietly(server);
        sockets.forEach(DelayRelay::closeQuietly);
    }

    private static Thread daemon(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        return thread;
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // Closing during teardown: nothing left to do with the error.
        }
    }
}
