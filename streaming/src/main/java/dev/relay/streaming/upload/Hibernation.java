package dev.relay.streaming.upload;

import dev.relay.api.ErrorCode;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.digest.ResumableSha256;

import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * How a write session lets go of its memory while paused and takes it back on resume. Paused and drained (nothing
 * granted, nothing on its way to S3 or the database), it gives up the partial part's S3 request, stages the partial
 * part as the tail ({@link TailStage}) and drops its buffers: HIBERNATING, then HIBERNATED. Resumed mid-part, it waits
 * for the node's buffer budget, then loads the staged bytes back into a buffer: WAKING, then RECEIVING. A channel that
 * closes mid-part stages the same way.
 * Every state change goes through the session ({@link Host#moveTo}), which owns the state machine; this class runs on
 * the session's serial executor.
 */
final class Hibernation {

    /** What this needs of its session. */
    interface Host {
        SessionState state();

        void moveTo(SessionState next);

        /** Grants credit if the session may receive. */
        void grant();

        /** Ends the channel with {@code error}, storing what was received. */
        void fail(TransferException error);

        /** Ends the channel with {@code error}, storing nothing more. */
        void abort(TransferException error);

        /** Lets a closing session go on once a stage or load it waited for returned. */
        void continueClosing();

        /** The durable offset moved. */
        void progressed();
    }

    private final String id;
    private final Host session;
    private final PartPipeline parts;
    private final CreditPlanner planner;
    private final TailStage tail;
    private final ResumableSha256 digest;
    private final Executor serial;
    private boolean memoryWaitScheduled;

    Hibernation(String id, Host session, PartPipeline parts, CreditPlanner planner, TailStage tail,
                ResumableSha256 digest, Executor serial) {
        this.id = id;
        this.session = session;
        this.parts = parts;
        this.planner = planner;
        this.tail = tail;
        this.digest = digest;
        this.serial = serial;
    }

    /** A part was recorded: the tail it continued is no longer needed. */
    void partRecorded() {
        tail.consumed();
    }

    /** Whether a stage or a load is under way (closing waits for it). */
    boolean busy() {
        return tail.busy();
    }

    /** A paused session whose granted chunks have all arrived and whose parts are all recorded hibernates. */
    void maybeHibernate() {
        if (session.state() != SessionState.PAUSED || planner.outstanding() > 0 || parts.storing()
                || parts.hasSealed() || tail.busy()) {
            return;
        }
        planner.idle();
        parts.dropSpare();
        PartBuffer filling = parts.filling();
        if (filling != null) {
            filling.abandonStream();
        }
        if (!worthStaging(filling)) {
            parts.dropFilling();
            session.moveTo(SessionState.HIBERNATED);
            return;
        }
        session.moveTo(SessionState.HIBERNATING);
        stage(filling, recorded -> {
            SessionState state = session.state();
            if (state == SessionState.HIBERNATING) {
                if (recorded) {
                    parts.dropFilling();
                    session.moveTo(SessionState.HIBERNATED);
                } else {
                    session.moveTo(SessionState.PAUSED); // not durable: keep the bytes
                }
            } else if (state == SessionState.PAUSED) {
                maybeHibernate(); // resumed and paused again meanwhile: stage what came since
            } else {
                session.grant(); // resumed meanwhile: the buffer is still there
            }
        });
    }

    /** A channel that closes stages its partial part (the session then drops the buffer, which the stage keeps). */
    boolean stageForClose() {
        PartBuffer filling = parts.filling();
        if (!worthStaging(filling)) {
            return false;
        }
        stage(filling, recorded -> { });
        parts.dropFilling();
        return true;
    }

    /**
     * Mid-part with no buffer (RECEIVING): claims the part's buffer from the budget, then wakes. If the node's budget
     * is spent, {@code retry} runs on the executor once another upload gives memory back (one wait at a time).
     */
    void wakeWhenMemory(Runnable retry) {
        if (!parts.memory().reserveForResume()) {
            if (!memoryWaitScheduled) {
                memoryWaitScheduled = true;
                parts.memory().whenFreed(parts.received() + 1, () -> serial.execute(() -> {
                    memoryWaitScheduled = false;
                    retry.run();
                }));
            }
            return;
        }
        wake();
    }

    /** The part's first bytes are the staged tail: loads them back. */
    private void wake() {
        session.moveTo(SessionState.WAKING);
        if (tail.busy()) {
            return; // a load started before a pause is still under way: it serves this wake too
        }
        long partStart = parts.nextPartStart();
        long expected = parts.received() - partStart;
        tail.load(bytes -> {
            if (!session.state().open()) {
                session.continueClosing();
            } else if (bytes.length < expected) {
                session.fail(new TransferException(ErrorCode.INTERNAL, "The staged bytes of upload " + id
                        + " are incomplete (" + bytes.length + " of " + expected + ")."));
            } else {
                parts.resumePart(partStart, bytes, (int) expected, digest);
                if (session.state() == SessionState.WAKING) {
                    session.moveTo(SessionState.RECEIVING);
                    session.grant();
                } else {
                    maybeHibernate(); // paused again while the bytes were loading: give the buffer back
                }
            }
        }, e -> session.abort(SessionErrors.storage(id, "load the staged bytes", e, parts.durableOffset())));
    }

    /** Only bytes of the part right after the recorded ones, beyond what is staged already, need staging. */
    private boolean worthStaging(PartBuffer filling) {
        return filling != null && filling.start == parts.partsBytes() && filling.fill > parts.tailBytes();
    }

    /** Stages the partial part's bytes; the durable offset moves if the record applied, then {@code then} runs. */
    private void stage(PartBuffer filling, Consumer<Boolean> then) {
        tail.stage(filling, filling.fill, parts.partsBytes(), digest.state(), recorded -> {
            if (recorded) {
                parts.tailStaged(filling.fill);
                session.progressed();
            }
            if (session.state().closing()) {
                session.continueClosing();
            } else {
                then.accept(recorded);
            }
        });
    }
}
