package dev.relay.streaming.download;

import dev.relay.streaming.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link WindowedRead} on the in-memory store: order, the window, demand, cancellation and failures. */
class WindowedReadUnitTests {

    private static final int CHUNK = 64 * 1024;
    private static final DownloadSettings SETTINGS = new DownloadSettings(1024 * 1024, 4, CHUNK);
    private static final String KEY = "files/a";

    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private final DownloadStats stats = new DownloadStats();
    private final byte[] object = new byte[10 * 1024 * 1024 + 4321];

    WindowedReadUnitTests() {
        new Random(7).nextBytes(object);
        store.putObject(KEY, object, object.length, null).block();
    }

    private Flux<DownloadChunk> read(long offset, long length) {
        return new WindowedRead(store, KEY, offset, length, SETTINGS, stats);
    }

    @Test
    void aReaderThatWritesEverythingGetsTheRangeInOrder() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        read(100, object.length - 100).doOnNext(c -> {
            byte[] bytes = new byte[c.length()];
            c.data().get(bytes);
            out.writeBytes(bytes);
            c.written();
        }).blockLast(Duration.ofSeconds(20));
        assertThat(out.toByteArray()).isEqualTo(Arrays.copyOfRange(object, 100, object.length));
        assertThat(stats.heldBytes()).isZero();
        assertThat(stats.storeBytes()).isEqualTo(object.length - 100);
    }

    @Test
    void unwrittenChunksStopReadingAtTheWindowWhateverWasRequestedAndWritingThemResumesIt() throws Exception {
        List<DownloadChunk> unwritten = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        read(0, object.length).subscribe(new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                request(Long.MAX_VALUE);
            }

            @Override
            protected void hookOnNext(DownloadChunk chunk) {
                unwritten.add(chunk);
            }

            @Override
            protected void hookOnComplete() {
                done.countDown();
            }
        });
        long read = quietStore();
        assertThat(read).isEqualTo(SETTINGS.windowBytes());
        assertThat(stats.heldBytes()).isEqualTo(SETTINGS.windowBytes());

        // Writing frees the window; the rest follows.
        while (!done.await(10, TimeUnit.MILLISECONDS)) {
            for (DownloadChunk chunk : unwritten) {
                unwritten.remove(chunk);
                chunk.written();
            }
        }
        unwritten.forEach(DownloadChunk::written);
        assertThat(stats.storeBytes()).isEqualTo(object.length);
        assertThat(stats.heldBytes()).isZero();
    }

    @Test
    void readingFollowsDemandAndCancellingLetsGoOfWhatWasRead() throws Exception {
        AtomicReference<Subscription> subscription = new AtomicReference<>();
        List<DownloadChunk> received = new CopyOnWriteArrayList<>();
        read(0, object.length).subscribe(new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription s) {
                subscription.set(s);
                request(2);
            }

            @Override
            protected void hookOnNext(DownloadChunk chunk) {
                received.add(chunk);
                chunk.written();
            }
        });
        assertThat(quietStore()).as("the two chunks requested, no more").isEqualTo(2L * CHUNK);
        assertThat(received).hasSize(2);
        subscription.get().cancel();
        assertThat(stats.heldBytes()).isZero();
    }

    @Test
    void aStoreFailureEndsTheStreamAfterTheBytesBeforeIt() {
        List<Throwable> failure = new CopyOnWriteArrayList<>();
        long[] bytes = {0};
        // One byte past the object's end: the last ranged read fails.
        read(0, object.length + 1L).doOnNext(c -> {
            bytes[0] += c.length();
            c.written();
        }).doOnError(failure::add).onErrorComplete().blockLast(Duration.ofSeconds(20));
        assertThat(failure).hasSize(1);
        assertThat(bytes[0]).isEqualTo(object.length / SETTINGS.segmentBytes() * SETTINGS.segmentBytes());
        assertThat(stats.heldBytes()).isZero();
    }

    @Test
    void settingsRefuseAWindowWithoutAChunkPerRead() {
        assertThatThrownBy(() -> new DownloadSettings(CHUNK, 4, CHUNK))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("download window");
    }

    /** Bytes read from the store once the count has not moved for 300 ms. */
    private long quietStore() throws InterruptedException {
        long last = -1;
        while (true) {
            Thread.sleep(300);
            long now = stats.storeBytes();
            if (now == last) {
                return now;
            }
            last = now;
        }
    }
}
