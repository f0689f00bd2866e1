package dev.relay.streaming.testing;

import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.ObjectStore.PendingMultipart;
import dev.relay.streaming.port.ObjectStore.StoredPart;
import dev.relay.streaming.port.PartFeed;
import dev.relay.streaming.port.StorageUnavailableException;
import dev.relay.streaming.port.StreamedPartUpload;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the engine relies on from an {@link ObjectStore} that can also stream parts, run against every
 * implementation: the real adapter on an S3 server and the in-memory fixture. Keys are unique per test, so one
 * bucket serves them all. Failures that are not outages must not read as {@link StorageUnavailableException}: the
 * engine retries those until its deadline.
 */
public interface ObjectStoreContract {

    Duration TIMEOUT = Duration.ofSeconds(30);
    /** S3's smallest part other than the last. */
    int MIN_PART = 5 << 20;

    ObjectStore store();

    StreamedPartUpload streamed();

    @Test
    default void aMultipartUploadIsListedUntilCompletedAndThenReadsBackByRanges() {
        String key = newKey();
        byte[] data = random(MIN_PART + 1000, 7);
        String uploadId = store().createMultipartUpload(key, "application/octet-stream").block(TIMEOUT);
        String first = store().uploadPart(key, uploadId, 1, data, MIN_PART).block(TIMEOUT);
        byte[] rest = Arrays.copyOfRange(data, MIN_PART, data.length);
        String second = store().uploadPart(key, uploadId, 2, rest, rest.length).block(TIMEOUT);

        assertThat(store().listMultipartUploads(key).collectList().block(TIMEOUT))
                .anySatisfy(p -> assertThat(p.uploadId()).isEqualTo(uploadId));
        store().completeMultipartUpload(key, uploadId, List.of(new StoredPart(1, first), new StoredPart(2, second)))
                .block(TIMEOUT);
        assertThat(store().listMultipartUploads(key).collectList().block(TIMEOUT)).isEmpty();
        assertThat(store().objectSize(key).block(TIMEOUT)).contains((long) data.length);

        assertThat(readAll(key, 100, 300_000, 64 * 1024)).isEqualTo(Arrays.copyOfRange(data, 100, 300_100));
    }

    /** What completion checks against the recorded parts: each stored part's number, ETag (as uploads return it), size. */
    @Test
    default void thePartsOfAMultipartUploadAreListedWithTheirETagsAndSizes() {
        String key = newKey();
        byte[] first = random(MIN_PART, 4);
        byte[] third = random(1234, 5);
        String uploadId = store().createMultipartUpload(key, null).block(TIMEOUT);
        String etag1 = store().uploadPart(key, uploadId, 1, first, first.length).block(TIMEOUT);
        String etag3 = store().uploadPart(key, uploadId, 3, third, third.length).block(TIMEOUT);

        assertThat(store().listParts(key, uploadId).collectList().block(TIMEOUT)).containsExactly(
                new ObjectStore.ListedPart(1, etag1, first.length), new ObjectStore.ListedPart(3, etag3, third.length));
        String again = store().uploadPart(key, uploadId, 1, third, third.length).block(TIMEOUT);
        assertThat(store().listParts(key, uploadId).collectList().block(TIMEOUT)).first()
                .isEqualTo(new ObjectStore.ListedPart(1, again, third.length));
        store().abortMultipartUpload(key, uploadId).block(TIMEOUT);
    }

    /** Only the parts named are assembled, in their order; numbers may skip (a writer's part that was never kept). */
    @Test
    default void completingAssemblesExactlyTheNamedParts() {
        String key = newKey();
        byte[] first = random(MIN_PART, 1);
        byte[] skipped = random(1000, 2);
        byte[] last = random(1000, 3);
        String uploadId = store().createMultipartUpload(key, null).block(TIMEOUT);
        String etag1 = store().uploadPart(key, uploadId, 1, first, first.length).block(TIMEOUT);
        store().uploadPart(key, uploadId, 2, skipped, skipped.length).block(TIMEOUT);
        String etag3 = store().uploadPart(key, uploadId, 3, last, last.length).block(TIMEOUT);

        store().completeMultipartUpload(key, uploadId, List.of(new StoredPart(1, etag1), new StoredPart(3, etag3)))
                .block(TIMEOUT);
        assertThat(store().getObjectBytes(key, first.length + 2000).block(TIMEOUT)).isEqualTo(concat(first, last));
    }

    @Test
    default void onlyTheBytesUpToTheGivenLengthAreStored() {
        String key = newKey();
        byte[] buffer = random(2000, 4);
        String uploadId = store().createMultipartUpload(key, null).block(TIMEOUT);
        String etag = store().uploadPart(key, uploadId, 1, buffer, 1500).block(TIMEOUT);
        store().completeMultipartUpload(key, uploadId, List.of(new StoredPart(1, etag))).block(TIMEOUT);
        assertThat(store().getObjectBytes(key, 2000).block(TIMEOUT)).isEqualTo(Arrays.copyOf(buffer, 1500));

        String small = newKey();
        store().putObject(small, buffer, 700, null).block(TIMEOUT);
        assertThat(store().getObjectBytes(small, 2000).block(TIMEOUT)).isEqualTo(Arrays.copyOf(buffer, 700));
    }

    /** A part sent again (a writer that took over re-sends it) replaces the earlier one and its ETag. */
    @Test
    default void aPartSentAgainReplacesTheEarlierOne() {
        String key = newKey();
        byte[] before = random(1000, 5);
        byte[] after = random(1000, 6);
        String uploadId = store().createMultipartUpload(key, null).block(TIMEOUT);
        String old = store().uploadPart(key, uploadId, 1, before, before.length).block(TIMEOUT);
        String replaced = store().uploadPart(key, uploadId, 1, after, after.length).block(TIMEOUT);

        assertThat(replaced).isNotEqualTo(old);
        assertNotAnOutage(() -> store().completeMultipartUpload(key, uploadId, List.of(new StoredPart(1, old)))
                .block(TIMEOUT));
        store().completeMultipartUpload(key, uploadId, List.of(new StoredPart(1, replaced))).block(TIMEOUT);
        assertThat(store().getObjectBytes(key, 2000).block(TIMEOUT)).isEqualTo(after);
    }

    /** A wrong ETag is refused (S3: InvalidPart) and leaves the upload as it was: the right one still completes. */
    @Test
    default void completingWithAWrongEtagFailsAndKeepsTheUpload() {
        String key = newKey();
        byte[] data = random(1000, 8);
        String uploadId = store().createMultipartUpload(key, null).block(TIMEOUT);
        String etag = store().uploadPart(key, uploadId, 1, data, data.length).block(TIMEOUT);

        String wrong = etag.equals("0123456789abcdef0123456789abcdef") ? "fedcba9876543210fedcba9876543210"
                : "0123456789abcdef0123456789abcdef";
        assertNotAnOutage(() -> store().completeMultipartUpload(key, uploadId, List.of(new StoredPart(1, wrong)))
                .block(TIMEOUT));
        assertThat(store().objectSize(key).block(TIMEOUT)).isEmpty();
        assertThat(store().listMultipartUploads(key).map(PendingMultipart::uploadId).collectList().block(TIMEOUT))
                .containsExactly(uploadId);

        store().completeMultipartUpload(key, uploadId, List.of(new StoredPart(1, etag))).block(TIMEOUT);
        assertThat(store().getObjectBytes(key, 2000).block(TIMEOUT)).isEqualTo(data);
    }

    @Test
    default void completingWithAPartNeverSentFails() {
        String key = newKey();
        byte[] first = random(MIN_PART, 9);
        String uploadId = store().createMultipartUpload(key, null).block(TIMEOUT);
        String etag = store().uploadPart(key, uploadId, 1, first, first.length).block(TIMEOUT);

        assertNotAnOutage(() -> store().completeMultipartUpload(key, uploadId,
                List.of(new StoredPart(1, etag), new StoredPart(2, etag))).block(TIMEOUT));
        assertThat(store().objectSize(key).block(TIMEOUT)).isEmpty();
    }

    /** S3 takes no part under 5 MiB but the last: the engine's part sizes must respect that, and a fake too. */
    @Test
    default void aPartUnderFiveMibOtherThanTheLastIsRefused() {
        String key = newKey();
        byte[] short1 = random(MIN_PART - 1, 10);
        byte[] last = random(10, 11);
        String uploadId = store().createMultipartUpload(key, null).block(TIMEOUT);
        String etag1 = store().uploadPart(key, uploadId, 1, short1, short1.length).block(TIMEOUT);
        String etag2 = store().uploadPart(key, uploadId, 2, last, last.length).block(TIMEOUT);

        assertNotAnOutage(() -> store().completeMultipartUpload(key, uploadId,
                List.of(new StoredPart(1, etag1), new StoredPart(2, etag2))).block(TIMEOUT));
        assertThat(store().objectSize(key).block(TIMEOUT)).isEmpty();
        store().completeMultipartUpload(key, uploadId, List.of(new StoredPart(1, etag1))).block(TIMEOUT);
        assertThat(store().objectSize(key).block(TIMEOUT)).contains((long) short1.length);
    }

    /**
     * The engine retries a completion after a crash without knowing whether the first one went through: whatever the
     * second answers, it is not an outage and the object stays as it was.
     */
    @Test
    default void completingAgainLeavesTheObjectAsItWas() {
        String key = newKey();
        byte[] data = random(1000, 12);
        String uploadId = store().createMultipartUpload(key, null).block(TIMEOUT);
        String etag = store().uploadPart(key, uploadId, 1, data, data.length).block(TIMEOUT);
        List<StoredPart> parts = List.of(new StoredPart(1, etag));
        store().completeMultipartUpload(key, uploadId, parts).block(TIMEOUT);

        try {
            store().completeMultipartUpload(key, uploadId, parts).block(TIMEOUT);
        } catch (RuntimeException e) {
            assertThat(e).isNotInstanceOf(StorageUnavailableException.class);
        }
        assertThat(store().getObjectBytes(key, 2000).block(TIMEOUT)).isEqualTo(data);
    }

    @Test
    default void anAbortedUploadIsGoneAndCannotBeCompleted() {
        String key = newKey();
        byte[] data = random(1000, 13);
        String uploadId = store().createMultipartUpload(key, null).block(TIMEOUT);
        String etag = store().uploadPart(key, uploadId, 1, data, data.length).block(TIMEOUT);

        store().abortMultipartUpload(key, uploadId).block(TIMEOUT);
        assertThat(store().listMultipartUploads(key).collectList().block(TIMEOUT)).isEmpty();
        assertNotAnOutage(() -> store().completeMultipartUpload(key, uploadId, List.of(new StoredPart(1, etag)))
                .block(TIMEOUT));
        assertThat(store().objectSize(key).block(TIMEOUT)).isEmpty();
        store().abortMultipartUpload(key, uploadId).block(TIMEOUT); // twice: already gone is not an error
    }

    /** The expiry sweep lists uploads by prefix and leaves young ones alone, by their initiation time. */
    @Test
    default void pendingUploadsAreListedByPrefixWithTheirInitiationTime() {
        String prefix = newKey() + "/";
        Instant before = Instant.now().minusSeconds(60);
        String a = store().createMultipartUpload(prefix + "a", null).block(TIMEOUT);
        String b1 = store().createMultipartUpload(prefix + "b", null).block(TIMEOUT);
        String b2 = store().createMultipartUpload(prefix + "b", null).block(TIMEOUT);
        String elsewhere = store().createMultipartUpload(newKey(), null).block(TIMEOUT);
        Instant after = Instant.now().plusSeconds(60);

        List<PendingMultipart> listed = store().listMultipartUploads(prefix).collectList().block(TIMEOUT);
        assertThat(listed).extracting(PendingMultipart::uploadId).containsExactlyInAnyOrder(a, b1, b2)
                .doesNotContain(elsewhere);
        assertThat(listed).filteredOn(p -> p.uploadId().equals(a)).singleElement()
                .satisfies(p -> assertThat(p.key()).isEqualTo(prefix + "a"));
        // Within a minute either way: the server's clock, not ours.
        assertThat(listed).allSatisfy(p -> assertThat(p.initiated()).isBetween(before, after));
        for (PendingMultipart p : listed) {
            store().abortMultipartUpload(p.key(), p.uploadId()).block(TIMEOUT);
        }
    }

    @Test
    default void aSmallObjectIsPutReplacedSizedAndDeleted() {
        String key = newKey();
        byte[] first = random(3000, 14);
        byte[] second = random(2000, 15);
        store().putObject(key, first, first.length, "application/octet-stream").block(TIMEOUT);
        assertThat(store().getObjectBytes(key, 10_000).block(TIMEOUT)).isEqualTo(first);

        store().putObject(key, second, second.length, null).block(TIMEOUT);
        assertThat(store().objectSize(key).block(TIMEOUT)).contains(2000L);
        assertThat(store().getObjectBytes(key, 10_000).block(TIMEOUT)).isEqualTo(second);

        store().deleteObject(key).block(TIMEOUT);
        assertThat(store().objectSize(key).block(TIMEOUT)).isEmpty();
    }

    /** An empty file is stored as an empty object, not as a multipart upload (S3 needs at least one part). */
    @Test
    default void anEmptyObjectExistsWithSizeZero() {
        String key = newKey();
        store().putObject(key, new byte[0], 0, null).block(TIMEOUT);
        assertThat(store().objectSize(key).block(TIMEOUT)).contains(0L);
        assertThat(store().getObjectBytes(key, 10).block(TIMEOUT)).isEmpty();
    }

    /** {@code maxBytes} bounds what is read into memory: a longer object is cut there. */
    @Test
    default void readingAWholeObjectStopsAtMaxBytes() {
        String key = newKey();
        byte[] data = random(1000, 16);
        store().putObject(key, data, data.length, null).block(TIMEOUT);
        assertThat(store().getObjectBytes(key, 10).block(TIMEOUT)).isEqualTo(Arrays.copyOf(data, 10));
    }

    @Test
    default void aRangeIsReadInChunksOfAtMostTheChunkSize() {
        String key = newKey();
        byte[] data = random(10_000, 17);
        store().putObject(key, data, data.length, null).block(TIMEOUT);

        List<ByteBuffer> chunks = store().read(key, 1234, 5000, 1024).collectList().block(TIMEOUT);
        assertThat(chunks).allSatisfy(c -> assertThat(c.remaining()).isBetween(1, 1024));
        assertThat(concat(chunks)).isEqualTo(Arrays.copyOfRange(data, 1234, 6234));
        assertThat(concat(store().read(key, 9000, 1000, 4096).collectList().block(TIMEOUT)))
                .as("the range that ends the object").isEqualTo(Arrays.copyOfRange(data, 9000, 10_000));
    }

    @Test
    default void readingFollowsDemand() {
        String key = newKey();
        byte[] data = new byte[1 << 20];
        store().putObject(key, data, data.length, null).block(TIMEOUT);
        StepVerifier.create(store().read(key, 0, data.length, 64 * 1024), 2)
                .expectNextCount(2)
                .expectNoEvent(Duration.ofMillis(500))
                .thenRequest(3)
                .expectNextCount(3)
                .expectNoEvent(Duration.ofMillis(200))
                .thenRequest(Long.MAX_VALUE)
                .expectNextCount(11)
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    default void missingThingsAreNotErrorsWhereTheEngineExpectsThemGone() {
        String key = "staging/" + UUID.randomUUID() + ".tail";
        assertThat(store().objectSize(key).block(TIMEOUT)).isEqualTo(Optional.empty());
        store().deleteObject(key).block(TIMEOUT);
        store().abortMultipartUpload(newKey(), "no-such-upload").block(TIMEOUT);
        assertNotAnOutage(() -> store().getObjectBytes(key, 10).block(TIMEOUT));
        assertNotAnOutage(() -> store().read(key, 0, 10, 10).blockLast(TIMEOUT));
    }

    /**
     * Parts and small objects read from a feed (the engine's spool files) arrive byte for byte, whatever reads them:
     * a whole part, and a tail object.
     */
    @Test
    default void wholePartsAndObjectsAreStoredFromAFeed() {
        String key = newKey();
        String uploadId = store().createMultipartUpload(key, null).block(TIMEOUT);
        byte[] part = random(MIN_PART + 12_345, 21);
        byte[] last = random(70_000, 22);
        // Sources of their own (not the arrays), as a spool file would be read: at any position, any length.
        PartFeed first = new PartFeed((position, dest, offset, n) -> System.arraycopy(part, position, dest, offset,
                n), part.length);
        first.advance(part.length);
        String etag1 = store().uploadWholePart(key, uploadId, 1, first).block(TIMEOUT);
        String etag2 = store().uploadWholePart(key, uploadId, 2, PartFeed.whole(last, last.length)).block(TIMEOUT);
        store().completeMultipartUpload(key, uploadId, List.of(new StoredPart(1, etag1), new StoredPart(2, etag2)))
                .block(TIMEOUT);
        assertThat(readAll(key, 0, part.length + last.length, 1 << 20)).isEqualTo(concat(part, last));

        String tail = "staging/" + UUID.randomUUID() + ".tail";
        store().putObject(tail, PartFeed.whole(last, 50_000), "application/octet-stream").block(TIMEOUT);
        assertThat(store().getObjectBytes(tail, 1 << 20).block(TIMEOUT)).isEqualTo(Arrays.copyOf(last, 50_000));
    }

    /** A part sent while it fills: the store has it only once its last byte came, and the caller never waits. */
    @Test
    default void aPartIsStreamedAsItsBytesArrive() throws Exception {
        String key = newKey();
        String uploadId = store().createMultipartUpload(key, null).block(TIMEOUT);
        byte[] part = random(MIN_PART, 18);
        PartFeed feed = PartFeed.over(part, part.length);

        long start = System.nanoTime();
        CompletableFuture<String> etag = streamed().uploadPart(key, uploadId, 1, feed).toFuture();
        // The engine starts the request from its serial executor before any byte is there: it must return at once.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        for (int filled = 0; filled < part.length; ) {
            filled = Math.min(part.length, filled + 300_001);
            feed.advance(filled);
            Thread.sleep(5);
            if (filled < part.length) {
                assertThat(etag).isNotDone();
            }
        }
        String first = etag.get(30, TimeUnit.SECONDS);
        byte[] last = random(100, 19);
        String second = store().uploadPart(key, uploadId, 2, last, last.length).block(TIMEOUT);

        store().completeMultipartUpload(key, uploadId, List.of(new StoredPart(1, first), new StoredPart(2, second)))
                .block(TIMEOUT);
        assertThat(readAll(key, 0, part.length + 100, 1 << 20)).isEqualTo(concat(part, last));
    }

    /**
     * An abandoned part's request fails at once (the channel paused or ended) and stores nothing: the part as sent
     * before stays, and the engine sends the part whole later.
     */
    @Test
    default void anAbandonedStreamedPartFailsAndStoresNothing() throws Exception {
        String key = newKey();
        String uploadId = store().createMultipartUpload(key, null).block(TIMEOUT);
        byte[] whole = random(1 << 20, 20);
        String etag = store().uploadPart(key, uploadId, 1, whole, whole.length).block(TIMEOUT);

        byte[] other = random(1 << 20, 21);
        PartFeed abandoned = PartFeed.over(other, other.length);
        abandoned.advance(200_000);
        CompletableFuture<String> failing = streamed().uploadPart(key, uploadId, 1, abandoned).toFuture();
        Thread.sleep(200);
        abandoned.abandon();
        assertThatThrownBy(() -> failing.get(5, TimeUnit.SECONDS)).hasMessageContaining("abandoned");

        store().completeMultipartUpload(key, uploadId, List.of(new StoredPart(1, etag))).block(TIMEOUT);
        assertThat(readAll(key, 0, whole.length, 1 << 20)).isEqualTo(whole);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    default String newKey() {
        return "files/" + UUID.randomUUID();
    }

    default byte[] readAll(String key, long offset, long length, int chunkBytes) {
        return concat(store().read(key, offset, length, chunkBytes).collectList().block(TIMEOUT));
    }

    private static void assertNotAnOutage(Runnable call) {
        assertThatThrownBy(call::run).isNotInstanceOf(StorageUnavailableException.class);
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] concat(List<ByteBuffer> chunks) {
        return Flux.fromIterable(chunks).reduce(new byte[0], (a, b) -> {
            byte[] out = Arrays.copyOf(a, a.length + b.remaining());
            b.get(out, a.length, b.remaining());
            return out;
        }).block();
    }
}
