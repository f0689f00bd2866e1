package dev.relay.streaming.upload;

import dev.relay.streaming.port.DurablePoint;
import dev.relay.streaming.port.PartRecord;
import dev.relay.streaming.port.UploadRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.util.retry.Retry;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Records the parts S3 has stored in the database, one at a time and strictly in part order, each with the durable
 * point it reaches (epoch-checked by the repository). Owned by the session's serial executor, through which every
 * outcome is posted back.
 */
final class PartRecorder {

    private static final Logger log = LoggerFactory.getLogger(PartRecorder.class);

    interface Outcome {
        void recorded(Pending part);

        /** The writer epoch is no longer current, or the upload no longer open. */
        void refused();

        void failed(int partNumber, Throwable error);
    }

    /** A part S3 has stored and the database has yet to record. */
    record Pending(PartRecord part, DurablePoint point, long sealedNanos, long storedNanos) {
    }

    private final String id;
    private final long epoch;
    private final UploadRepository repo;
    private final Executor serial;
    private final Supplier<Retry> retry;
    private final Outcome outcome;
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private boolean recording;

    PartRecorder(String id, long epoch, UploadRepository repo, Executor serial, Supplier<Retry> retry,
                 Outcome outcome) {
        this.id = id;
        this.epoch = epoch;
        this.repo = repo;
        this.serial = serial;
        this.retry = retry;
        this.outcome = outcome;
    }

    /** Parts stored in S3 and not yet recorded (the one being recorded included). */
    int waiting() {
        return waiting.size();
    }

    /** Whether a record is under way or waiting. */
    boolean busy() {
        return recording || !waiting.isEmpty();
    }

    void add(Pending part) {
        waiting.add(part);
        recordNext();
    }

    /** Records the oldest part, if no record is under way. */
    void recordNext() {
        Pending next = waiting.peek();
        if (recording || next == null) {
            return;
        }
        recording = true;
        repo.recordPart(id, epoch, next.part(), next.point(), next.part().number() + PartPipeline.PART_NUMBERS_AHEAD)
                .retryWhen(retry.get())
                .subscribe(recorded -> serial.execute(() -> done(next, recorded)),
                        e -> serial.execute(() -> {
                            recording = false;
                            waiting.clear();
                            outcome.failed(next.part().number(), e);
                        }));
    }

    private void done(Pending record, boolean recorded) {
        recording = false;
        waiting.poll();
        if (log.isDebugEnabled()) {
            long now = System.nanoTime();
            log.debug("Upload {}: part {} ({} bytes) {}: {} ms from its last byte to S3's ETag, {} ms more to the"
                            + " record", id, record.part().number(), record.part().size(),
                    recorded ? "recorded" : "refused", (record.storedNanos() - record.sealedNanos()) / 1_000_000,
                    (now - record.storedNanos()) / 1_000_000);
        }
        if (recorded) {
            outcome.recorded(record);
        } else {
            waiting.clear();
            outcome.refused();
        }
    }
}
