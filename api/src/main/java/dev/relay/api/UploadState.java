package dev.relay.api;

import java.util.EnumSet;
import java.util.Set;

/**
 * The persisted life cycle of an upload. ACTIVE and PAUSED are the open states (bytes may still be written);
 * the others are final. PAUSED is durable: a write channel opened on a paused upload is accepted but granted no
 * credit until the upload is resumed. A paused upload can still complete: the chunks already granted credit when
 * it was paused may carry its last bytes.
 */
public enum UploadState {
    ACTIVE, PAUSED, COMPLETED, CANCELLED, EXPIRED, FAILED,
    /** Deleted with its message (or by an administrator): the stored object is gone. */
    DELETED;

    public boolean isOpen() {
        return this == ACTIVE || this == PAUSED;
    }

    public boolean isFinal() {
        return !isOpen();
    }

    /** The transitions the engine may make; anything else is a bug or a race it must refuse. */
    public Set<UploadState> successors() {
        return switch (this) {
            case ACTIVE -> EnumSet.of(PAUSED, COMPLETED, CANCELLED, EXPIRED, FAILED, DELETED);
            case PAUSED -> EnumSet.of(ACTIVE, COMPLETED, CANCELLED, EXPIRED, FAILED, DELETED);
            case COMPLETED, CANCELLED, EXPIRED, FAILED -> EnumSet.of(DELETED);
            case DELETED -> EnumSet.noneOf(UploadState.class);
        };
    }

    public boolean canMoveTo(UploadState next) {
        return successors().contains(next);
    }
}
