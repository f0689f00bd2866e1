package dev.relay.streaming.upload;

import dev.relay.streaming.port.DurablePoint;
import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.PartFeed;
import dev.relay.streaming.port.UploadRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The bytes of a part that did not complete, kept between channels as a tail object (tusd's {@code .part} object
 * plays the same role): staged when a channel ends or hibernates mid-part, recorded as the durable tail, and loaded
 * back into a buffer when the part continues. Each tail is named by its writer's epoch and its start
 * ({@link ObjectKeys#tail(String, long, long)}), and only the one the database records is ever loaded: a stale
 * writer's late stage lands beside it, never on it. Superseded tails are deleted as they are replaced. One operation
 * at a time; outcomes are posted back through the session's serial executor, which owns this object.
 */
final class TailStage {

    private static final Logger log = LoggerFactory.getLogger(TailStage.class);

    private final String id;
    private final long epoch;
    private final int maxBytes;
    private final ObjectStore store;
    private final UploadRepository repo;
    private final Executor serial;
    private final Supplier<Retry> retry;
    private boolean busy;
    /** The tail object the durable offset includes now, or null. */
    private String recorded;

    /** @param recorded the tail object the upload's record names, or null */
    TailStage(String id, long epoch, long partSize, String recorded, ObjectStore store, UploadRepository repo,
              Executor serial, Supplier<Retry> retry) {
        this.id = id;
        this.recorded = recorded;
        this.epoch = epoch;
        this.maxBytes = (int) partSize;
        this.store = store;
        this.repo = repo;
        this.serial = serial;
        this.retry = retry;
    }

    /** Whether a stage or a load is under way. */
    boolean busy() {
        return busy;
    }

    /**
     * Stores {@code part}'s first {@code length} bytes as the tail and records them after {@code partsBytes}, then
     * tells {@code done} whether the record applied (false: another writer took over, or it failed and the durable
     * offset stays where it was).
     */
    void stage(PartBuffer part, int length, long partsBytes, byte[] digestState, Consumer<Boolean> done) {
        busy = true;
        String key = ObjectKeys.tail(id, epoch, partsBytes);
        // The stage holds the bytes until it is done: the session may drop the part meanwhile (a closing channel).
        PartBytes bytes = part.bytes;
        bytes.retain();
        PartFeed feed = new PartFeed(bytes.source(), length);
        feed.advance(length);
        Mono.defer(() -> store.putObject(key, feed, "application/octet-stream"))
                .retryWhen(retry.get())
                .doFinally(signal -> bytes.release())
                .then(repo.recordTail(id, epoch, new DurablePoint(partsBytes, length, digestState))
                        .retryWhen(retry.get()))
                .subscribe(applied -> serial.execute(() -> {
                    busy = false;
                    log.debug("Upload {}: staged {} bytes after byte {} ({})", id, length, partsBytes,
                            applied ? "recorded" : "refused");
                    if (applied) {
                        replaced(key);
                    } else {
                        discard(key);
                    }
                    done.accept(applied);
                }), e -> serial.execute(() -> {
                    busy = false;
                    log.warn("Upload {}: could not stage {} received bytes; the durable offset stays at {}",
                            id, length, partsBytes, e);
                    discard(key);
                    done.accept(false);
                }));
    }

    /** Loads the recorded tail back; {@code done} receives its bytes, {@code failed} the error. */
    void load(Consumer<byte[]> done, Consumer<Throwable> failed) {
        if (recorded == null) {
            failed.accept(new IllegalStateException("Upload " + id + " has no staged tail to load"));
            return;
        }
        busy = true;
        store.getObjectBytes(recorded, maxBytes)
                .retryWhen(retry.get())
                .subscribe(bytes -> serial.execute(() -> {
                    busy = false;
                    done.accept(bytes);
                }), e -> serial.execute(() -> {
                    busy = false;
                    failed.accept(e);
                }));
    }

    /** A part was recorded: it holds the tail's bytes, so the tail object is not needed any more. */
    void consumed() {
        replaced(null);
    }

    /** Removes the recorded tail object (a completed or discarded upload). */
    void delete() {
        replaced(null);
    }

    private void replaced(String key) {
        String before = recorded;
        recorded = key;
        if (before != null && !before.equals(key)) {
            remove(before);
        }
    }

    /**
     * A stage that did not become the durable tail: its object goes, unless it is the recorded one (a later stage of
     * the same writer at the same start, whose bytes begin with the recorded ones).
     */
    private void discard(String key) {
        if (!key.equals(recorded)) {
            remove(key);
        }
    }

    /** Best effort: a tail left behind wastes space, never correctness (only the recorded one is read). */
    private void remove(String key) {
        store.deleteObject(key).subscribe(null, e -> log.debug("Upload {}: could not delete {}", id, key, e));
    }
}
