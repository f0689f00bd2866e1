package dev.relay.streaming.upload;

import java.util.EnumSet;
import java.util.Set;

/**
 * The life of one write channel ({@link UploadSession}). Every change goes through the session's {@code moveTo},
 * which refuses a move this table does not allow: an illegal move is a bug, never a race to tolerate.
 *
 * <pre>
 *   RECEIVING ⇄ PAUSED ──drained──> HIBERNATING ──staged──> HIBERNATED ──resume──> RECEIVING / WAKING ──> RECEIVING
 *   any open state ──channel ends──> CLOSING ──> CLOSED          (stores the queued parts, stages the partial one)
 *   any open state or CLOSING ──upload ended / storage failed──> ABORTING ──> CLOSED   (stores nothing more)
 *   RECEIVING, PAUSED, CLOSING ──last part recorded──> FINISHING ──> CLOSED
 * </pre>
 */
public enum SessionState {
    /** Credit flows and chunks fill the part buffer. */
    RECEIVING,
    /** No new credit; chunks already granted still arrive and parts still go to S3 and the database. */
    PAUSED,
    /** Paused and drained: the partial part is being staged in S3, then its buffer is dropped. */
    HIBERNATING,
    /** Paused with no buffer at all: a few KiB. */
    HIBERNATED,
    /** The staged partial part is loading back into a buffer before credit flows again. */
    WAKING,
    /** The channel ended (client, takeover, shutdown, protocol error): storing what was received, then closing. */
    CLOSING,
    /** The upload ended (cancelled, expired) or storage failed: waits for requests under way, stores nothing more. */
    ABORTING,
    /** Every byte is recorded: checksum, assemble the object, record completion. */
    FINISHING,
    CLOSED;

    /** Whether the channel is still open: chunks may arrive and the session may be paused or resumed. */
    public boolean open() {
        return switch (this) {
            case RECEIVING, PAUSED, HIBERNATING, HIBERNATED, WAKING -> true;
            default -> false;
        };
    }

    /** Whether credit is withheld because the upload is paused. */
    public boolean paused() {
        return this == PAUSED || this == HIBERNATING || this == HIBERNATED;
    }

    /** Whether the session is on its way to CLOSED without completing the upload. */
    public boolean closing() {
        return this == CLOSING || this == ABORTING;
    }

    public Set<SessionState> successors() {
        return switch (this) {
            case RECEIVING -> EnumSet.of(PAUSED, WAKING, CLOSING, ABORTING, FINISHING);
            case PAUSED -> EnumSet.of(RECEIVING, HIBERNATING, HIBERNATED, CLOSING, ABORTING, FINISHING);
            // Resumed while staging: the buffer is still there, so credit flows again at once.
            case HIBERNATING -> EnumSet.of(HIBERNATED, RECEIVING, PAUSED, CLOSING, ABORTING);
            case HIBERNATED -> EnumSet.of(RECEIVING, CLOSING, ABORTING);
            // Paused while loading: the bytes are dropped again once they arrive.
            case WAKING -> EnumSet.of(RECEIVING, PAUSED, CLOSING, ABORTING);
            // A channel that ends after its last byte still completes the upload.
            case CLOSING -> EnumSet.of(ABORTING, FINISHING, CLOSED);
            case ABORTING, FINISHING -> EnumSet.of(CLOSED);
            case CLOSED -> EnumSet.noneOf(SessionState.class);
        };
    }

    public boolean canMoveTo(SessionState next) {
        return successors().contains(next);
    }
}
