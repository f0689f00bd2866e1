package dev.relay.infra.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The benchmark's and the fault suite's delay line, over real loopback sockets. */
class DelayRelayTests {

    @Test
    void bytesArriveWholeAndNoSoonerThanTheDelay() throws Exception {
        try (ServerSocket target = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             DelayRelay relay = new DelayRelay(address(target), Duration.ofMillis(30))) {
            CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
                try (Socket accepted = target.accept(); InputStream in = accepted.getInputStream()) {
                    return in.readAllBytes();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            byte[] sent = new byte[3 << 20];
            new Random(7).nextBytes(sent);
            long start = System.nanoTime();
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), relay.port())) {
                client.getOutputStream().write(sent);
                client.shutdownOutput();
                assertThat(received.get(10, TimeUnit.SECONDS)).isEqualTo(sent);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(30));
        }
    }

    @Test
    void aReceiverThatDoesNotReadHoldsTheSenderBackOnceTheLineIsFull() throws Exception {
        try (ServerSocket target = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             DelayRelay relay = new DelayRelay(address(target), Duration.ofMillis(1));
             SocketChannel client = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                     relay.port()));
             Socket idle = target.accept()) {
            client.configureBlocking(false);
            ByteBuffer block = ByteBuffer.allocateDirect(1 << 20);
            long written = 0;
            // Writes until the socket stays full for a second; an unbounded line would take all 512 MiB.
            try (Selector selector = Selector.open()) {
                client.register(selector, SelectionKey.OP_WRITE);
                while (written < 512L << 20 && selector.select(1000) > 0) {
                    selector.selectedKeys().clear();
                    written += client.write(block.clear());
                }
            }
            // The line's 64 MiB plus what the kernel buffers on both legs (a few MiB each on loopback).
            assertThat(written).isBetween(64L << 20, 100L << 20);
        }
    }

    private static InetSocketAddress address(ServerSocket socket) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
    }
}
