package dev.relay.streaming.upload;

import dev.relay.streaming.port.DurablePoint;
import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.UploadRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.util.retry.Retry;

import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The bytes of a part that did not complete, kept between channels as the object {@code staging/<id>.tail}
 * (tusd's {@code .part} object plays the same role): staged when a channel ends or hibernates mid-part, recorded as
 * the durable tail, and loaded back into a buffer when the part continues. One operation at a time; outcomes are
 * posted back through the session's serial executor, which owns this object.
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

    TailStage(String id, long epoch, long partSize, ObjectStore store, UploadRepository repo, Executor serial,
              Supplier<Retry> retry) {
        this.id = id;
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
        store.putObject(ObjectKeys.tail(id), part.data, length, "application/octet-stream")
                .retryWhen(retry.get())
                .then(repo.recordTail(id, epoch, new DurablePoint(partsBytes, length, digestState))
                        .retryWhen(retry.get()))
                .subscribe(recorded -> serial.execute(() -> {
                    busy = false;
                    log.debug("Upload {}: staged {} bytes after byte {} ({})", id, length, partsBytes,
                            recorded ? "recorded" : "refused");
                    done.accept(recorded);
                }), e -> serial.execute(() -> {
                    busy = false;
                    log.warn("Upload {}: could not stage {} received bytes; the durable offset stays at {}",
                            id, length, partsBytes, e);
                    done.accept(false);
                }));
    }

    /** Loads the staged tail back; {@code done} receives its bytes, {@code failed} the error. */
    void load(Consumer<byte[]> done, Consumer<Throwable> failed) {
        busy = true;
        store.getObjectBytes(ObjectKeys.tail(id), maxBytes)
                .retryWhen(retry.get())
                .subscribe(bytes -> serial.execute(() -> {
                    busy = false;
                    done.accept(bytes);
                }), e -> serial.execute(() -> {
                    busy = false;
                    failed.accept(e);
                }));
    }

    /** Removes the tail object of a completed upload (best effort: expiry sweeps orphans anyway). */
    void delete() {
        store.deleteObject(ObjectKeys.tail(id)).subscribe(null, e -> log.debug("Upload {}: tail cleanup failed", id, e));
    }
}
