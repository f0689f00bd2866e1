package dev.relay.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.scheduler.Schedulers;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

class FileTransfersTests {

    @Test
    void fileReadsKeepGoingWhenTheApplicationBlocksEveryBoundedElasticThread(@TempDir Path dir) throws Exception {
        byte[] bytes = new byte[1 << 20];
        new Random(1).nextBytes(bytes);
        Path file = Files.write(dir.resolve("f.bin"), bytes);
        CountDownLatch release = new CountDownLatch(1);
        // An application waiting on boundedElastic threads (for example for uploads it started) fills them all.
        for (int i = 0; i < Schedulers.DEFAULT_BOUNDED_ELASTIC_SIZE; i++) {
            Schedulers.boundedElastic().schedule(() -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        try {
            List<ByteBuffer> chunks = FileTransfers.read(file, 1000, 64 * 1024).collectList()
                    .block(Duration.ofSeconds(10));
            assertThat(chunks.stream().mapToInt(ByteBuffer::remaining).sum()).isEqualTo(bytes.length - 1000);
            assertThat(chunks.get(0).get(0)).isEqualTo(bytes[1000]);
        } finally {
            release.countDown();
        }
    }

    @Test
    void anInterruptOfTheReadingThreadDoesNotFailTheRead(@TempDir Path dir) throws Exception {
        // Cancelling an upload interrupts a read under way; the read must not turn that into an error (which, with
        // nobody subscribed any more, Reactor logs as dropped). Interrupting the reading thread after every chunk
        // shows it: an interruptible channel would fail at the next read.
        byte[] bytes = new byte[256 * 1024];
        new Random(2).nextBytes(bytes);
        Path file = Files.write(dir.resolve("g.bin"), bytes);
        List<ByteBuffer> chunks = FileTransfers.read(file, 0, 16 * 1024)
                .doOnNext(chunk -> Thread.currentThread().interrupt())
                .doFinally(signal -> Thread.interrupted())
                .collectList()
                .block(Duration.ofSeconds(10));
        assertThat(chunks).hasSize(16);
        assertThat(chunks.stream().mapToInt(ByteBuffer::remaining).sum()).isEqualTo(bytes.length);
    }

    @Test
    void aDownloadedBufferIsAppendedWhole(@TempDir Path dir) throws Exception {
        Path target = Files.write(dir.resolve("h.bin"), new byte[]{1, 2});
        ByteBuf data = Unpooled.compositeBuffer().addComponents(true, Unpooled.wrappedBuffer(new byte[]{3, 4}),
                Unpooled.directBuffer().writeBytes(new byte[]{5, 6, 7}));
        try (FileChannel channel = FileChannel.open(target, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            FileTransfers.writeFully(channel, data);
        } finally {
            data.release();
        }
        assertThat(Files.readAllBytes(target)).containsExactly(1, 2, 3, 4, 5, 6, 7);
    }

    @Test
    void describeDeclaresNameSizeAndSha256() throws Exception {
        Path file = Files.createTempFile("describe", ".txt");
        Files.writeString(file, "abc");
        var request = FileTransfers.describe(file, "text/plain");
        assertThat(request.size()).isEqualTo(3);
        assertThat(request.sha256()).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(request.withRecipient("bob").recipient()).isEqualTo("bob");
        Files.delete(file);
    }
}
