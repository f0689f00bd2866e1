package dev.relay.web.support;

import dev.relay.api.wire.UploadEvent;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import reactor.core.publisher.Sinks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/** A write channel sending a whole file, watched by a test: bytes sent, events, and the error that ended it. */
public final class WatchedWrite {

    private final AtomicLong sent = new AtomicLong();
    private final Sinks.Many<UploadEvent> events = Sinks.many().replay().all();
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();

    private WatchedWrite() {
    }

    public static WatchedWrite start(RelayClient client, String uploadId, Path file, int chunkBytes) {
        WatchedWrite write = new WatchedWrite();
        client.write(uploadId, 0, FileTransfers.read(file, 0, chunkBytes)
                        .doOnNext(b -> write.sent.addAndGet(b.remaining())))
                .subscribe(write.events::tryEmitNext, e -> {
                    write.errors.add(e);
                    write.events.tryEmitError(e);
                }, write.events::tryEmitComplete);
        return write;
    }

    /** Bytes the client has sent so far. */
    public long sent() {
        return sent.get();
    }

    public List<Throwable> errors() {
        return errors;
    }

    /** Waits for the first event whose durable offset reached {@code bytes}. */
    public UploadEvent awaitDurable(long bytes, Duration timeout) {
        return events.asFlux().filter(e -> e.offset() >= bytes).blockFirst(timeout);
    }

    public UploadEvent awaitCompleted(Duration timeout) {
        return events.asFlux().filter(e -> e.type() == UploadEvent.Type.COMPLETED).blockFirst(timeout);
    }
}
