package dev.relay.streaming.upload;

import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.PartFeed;
import dev.relay.streaming.port.StreamedPartUpload;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The S3 requests that store one writer's parts: streamed while a part fills (if the store can), or whole once it is
 * complete, both read from the part's {@link PartBytes}; and the highest part number any of them used, which the
 * writer gives back when it closes. Outcomes are posted to the session's serial executor, which owns this object.
 */
final class PartRequests {

    private final String objectKey;
    private final ObjectStore store;
    /** The store's ability to stream a part as it fills, or null. */
    private final StreamedPartUpload streamed;
    private final MultipartUpload multipart;
    private final Executor serial;
    private final Supplier<Retry> retry;
    private int highestUsedPartNumber;

    PartRequests(String objectKey, ObjectStore store, MultipartUpload multipart, Executor serial,
                 Supplier<Retry> retry, int firstPartNumber) {
        this.objectKey = objectKey;
        this.store = store;
        this.streamed = store instanceof StreamedPartUpload s ? s : null;
        this.multipart = multipart;
        this.serial = serial;
        this.retry = retry;
        this.highestUsedPartNumber = firstPartNumber - 1;
    }

    boolean canStream() {
        return streamed != null;
    }

    /** The highest part number a request was sent with (below the writer's first if none). */
    int highestUsedPartNumber() {
        return highestUsedPartNumber;
    }

    /**
     * Starts the part's request while it fills: it carries the bytes as {@code part.feed} publishes them. Exactly one
     * of {@code stored} (with the ETag) and {@code failed} runs, on the serial executor, unless the part's feed was
     * replaced or dropped meanwhile (the request was given up).
     */
    void stream(PartBuffer part, Consumer<String> stored, Consumer<Throwable> failed) {
        used(part.number);
        PartFeed feed = new PartFeed(part.bytes.source(), part.capacity);
        part.feed = feed;
        multipart.get()
                .flatMap(uploadId -> streamed.uploadPart(objectKey, uploadId, part.number, feed))
                .subscribe(etag -> serial.execute(() -> {
                    if (part.feed == feed) {
                        part.feed = null;
                        stored.accept(etag);
                    }
                }), e -> serial.execute(() -> {
                    if (part.feed == feed) {
                        part.feed = null;
                        failed.accept(e);
                    }
                }));
    }

    /** Sends the complete part whole, with retries; the outcome runs on the serial executor. */
    void sendWhole(PartBuffer part, Consumer<String> stored, Consumer<Throwable> failed) {
        used(part.number);
        multipart.get()
                .flatMap(uploadId -> Mono.defer(() -> store.uploadWholePart(objectKey, uploadId, part.number,
                        whole(part))).retryWhen(retry.get()))
                .subscribe(etag -> serial.execute(() -> stored.accept(etag)),
                        e -> serial.execute(() -> failed.accept(e)));
    }

    private static PartFeed whole(PartBuffer part) {
        if (part.bytes == null) {
            throw new IllegalStateException("Part " + part.number + " was let go before it was stored");
        }
        PartFeed feed = new PartFeed(part.bytes.source(), part.fill);
        feed.advance(part.fill);
        return feed;
    }

    private void used(int number) {
        highestUsedPartNumber = Math.max(highestUsedPartNumber, number);
    }
}
