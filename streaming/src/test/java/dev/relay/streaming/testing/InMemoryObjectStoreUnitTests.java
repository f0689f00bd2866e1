package dev.relay.streaming.testing;

import dev.relay.streaming.port.ObjectStore.StoredPart;
import dev.relay.streaming.port.PartFeed;
import dev.relay.streaming.port.StorageUnavailableException;
import dev.relay.streaming.testing.InMemoryObjectStore.Op;
import dev.relay.streaming.testing.InMemoryObjectStore.S3Exception;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Schedulers;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The test controls of the in-memory store, and where it is stricter than S3Proxy (as S3 is). */
class InMemoryObjectStoreUnitTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final InMemoryObjectStore store = new InMemoryObjectStore();

    @Test
    void anOutageFailsEveryCallUntilItEnds() {
        store.putObject("k", new byte[]{1}, 1, null).block(TIMEOUT);
        store.controls().unavailable(true);
        assertThatThrownBy(() -> store.objectSize("k").block(TIMEOUT)).isInstanceOf(StorageUnavailableException.class);
        assertThatThrownBy(() -> store.read("k", 0, 1, 1).blockLast(TIMEOUT))
                .isInstanceOf(StorageUnavailableException.class);
        assertThatThrownBy(() -> store.uploadPart("k", "id", 1, PartFeed.over(new byte[1], 1)).block(TIMEOUT))
                .isInstanceOf(StorageUnavailableException.class);
        store.controls().unavailable(false);
        assertThat(store.objectSize("k").block(TIMEOUT)).contains(1L);
    }

    @Test
    void aQueuedFailureFailsOneCallOfItsKindAndEveryAttemptCounts() {
        store.putObject("k", new byte[]{1}, 1, null).block(TIMEOUT);
        store.controls().failNext(Op.GET_OBJECT, new StorageUnavailableException("slow down", null));
        store.controls().failNext(Op.GET_OBJECT, new StorageUnavailableException("slow down", null));

        assertThat(store.objectSize("k").block(TIMEOUT)).as("other kinds unaffected").contains(1L);
        assertThat(store.getObjectBytes("k", 10).retry(2).block(TIMEOUT)).containsExactly(1);
        assertThat(store.controls().calls(Op.GET_OBJECT)).isEqualTo(3);
        assertThat(store.getObjectBytes("k", 10).block(TIMEOUT)).containsExactly(1);
    }

    @Test
    void aHeldCallTakesEffectOnlyWhenReleased() throws Exception {
        String uploadId = store.createMultipartUpload("k", null).block(TIMEOUT);
        store.controls().hold(Op.UPLOAD_PART);
        CompletableFuture<String> etag = store.uploadPart("k", uploadId, 1, new byte[]{7}, 1).toFuture();
        store.controls().awaitHeld(Op.UPLOAD_PART, 1, TIMEOUT);

        assertThat(etag).isNotDone();
        assertThat(store.parts(uploadId)).isEmpty();
        store.putObject("t", new byte[]{1}, 1, null).block(TIMEOUT);
        assertThat(store.object("t")).as("other kinds go on").containsExactly(1);
        store.controls().release(Op.UPLOAD_PART);
        assertThat(store.parts(uploadId)).as("before release returns").containsOnlyKeys(1);
        assertThat(etag.get(5, TimeUnit.SECONDS)).isNotBlank();
        assertThat(store.controls().held(Op.UPLOAD_PART)).isZero();
    }

    @Test
    void anOutageDuringAHoldFailsTheHeldCall() {
        store.controls().hold(Op.PUT_OBJECT);
        CompletableFuture<Void> put = store.putObject("k", new byte[]{1}, 1, null).toFuture();
        store.controls().unavailable(true);
        store.controls().release(Op.PUT_OBJECT);
        assertThatThrownBy(() -> put.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(StorageUnavailableException.class);
        store.controls().unavailable(false);
        assertThat(store.object("k")).isNull();
    }

    @Test
    void resultsArriveOnTheStoresThreadsUnlessToldOtherwise() {
        AtomicReference<Thread> thread = new AtomicReference<>();
        store.objectSize("k").doOnNext(size -> thread.set(Thread.currentThread())).block(TIMEOUT);
        assertThat(thread.get()).isNotEqualTo(Thread.currentThread());

        InMemoryObjectStore immediate = new InMemoryObjectStore(Schedulers.immediate(), Clock.systemUTC());
        immediate.objectSize("k").subscribe(size -> thread.set(Thread.currentThread()));
        assertThat(thread.get()).isEqualTo(Thread.currentThread());
    }

    @Test
    void aStreamedPartWithoutBytesFailsAfterTheIdleTimeoutAndStoresNothing() {
        store.feedIdleTimeout(Duration.ofMillis(200));
        String uploadId = store.createMultipartUpload("k", null).block(TIMEOUT);
        PartFeed feed = PartFeed.over(new byte[100], 100);
        feed.advance(10);
        assertThatThrownBy(() -> store.uploadPart("k", uploadId, 1, feed).block(TIMEOUT))
                .isInstanceOf(StorageUnavailableException.class).hasCauseInstanceOf(IOException.class)
                .hasMessageContaining("No bytes of the part arrived");
        assertThat(store.parts(uploadId)).isEmpty();
        assertThat(store.controls().calls(Op.UPLOAD_PART_STREAMED)).isEqualTo(1);
        assertThat(store.controls().calls(Op.UPLOAD_PART)).isZero();
    }

    @Test
    void aHeldStreamedPartHasReadItsBytesButIsNotStored() throws Exception {
        String uploadId = store.createMultipartUpload("k", null).block(TIMEOUT);
        store.controls().hold(Op.UPLOAD_PART_STREAMED);
        PartFeed feed = PartFeed.over(new byte[]{1, 2, 3}, 3);
        CompletableFuture<String> etag = store.uploadPart("k", uploadId, 1, feed).toFuture();
        feed.advance(3);
        store.controls().awaitHeld(Op.UPLOAD_PART_STREAMED, 1, TIMEOUT);
        assertThat(store.parts(uploadId)).isEmpty();
        store.controls().release(Op.UPLOAD_PART_STREAMED);
        assertThat(etag.get(5, TimeUnit.SECONDS)).isNotBlank();
        assertThat(store.parts(uploadId).get(1)).containsExactly(1, 2, 3);
    }

    /** S3 answers NoSuchUpload and InvalidPartOrder here; S3Proxy accepts both (so the contract cannot ask). */
    @Test
    void aPartForAnUnknownUploadAndPartsOutOfOrderAreRefused() {
        assertThatThrownBy(() -> store.uploadPart("k", "none", 1, new byte[1], 1).block(TIMEOUT))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.code()).isEqualTo("NoSuchUpload"));

        String uploadId = store.createMultipartUpload("k", null).block(TIMEOUT);
        byte[] big = new byte[5 << 20];
        String first = store.uploadPart("k", uploadId, 1, big, big.length).block(TIMEOUT);
        String second = store.uploadPart("k", uploadId, 2, big, big.length).block(TIMEOUT);
        assertThatThrownBy(() -> store.completeMultipartUpload("k", uploadId,
                List.of(new StoredPart(2, second), new StoredPart(1, first))).block(TIMEOUT))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.code()).isEqualTo("InvalidPartOrder"));
        assertThat(store.pendingUploads()).singleElement().satisfies(p -> assertThat(p.uploadId()).isEqualTo(uploadId));
    }
}
