package dev.relay.streaming.upload;

import dev.relay.api.ErrorCode;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.StorageUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The errors a write channel ends with when storage fails or its writer claim is gone. */
final class SessionErrors {

    private static final Logger log = LoggerFactory.getLogger(UploadSession.class);

    private SessionErrors() {
    }

    static TransferException lostWriter(String id) {
        return new TransferException(ErrorCode.TAKEN_OVER, "Upload " + id + " was taken over by another write"
                + " channel, or it is no longer open; query its state before writing again.");
    }

    /** {@code e} as the channel's error, saying how far the upload is durable (a TransferException stays as it is). */
    /** The node's spool could not take received bytes (a full disk): retriable, as storage being unavailable is. */
    static TransferException spool(String id, Exception e, long durable) {
        return storage(id, "keep the received bytes until they are stored", new StorageUnavailableException(
                "The node's spool could not be written: " + e.getMessage(), e), durable);
    }

    static TransferException storage(String id, String what, Throwable e, long durable) {
        if (e instanceof TransferException te) {
            return te;
        }
        log.warn("Upload {}: could not {}", id, what, e);
        if (e instanceof StorageUnavailableException) {
            return new TransferException(ErrorCode.STORAGE_UNAVAILABLE, "Storage is unavailable, so the server could"
                    + " not " + what + "; the upload is durable up to byte " + durable
                    + " and can be resumed from there.", durable, e);
        }
        return new TransferException(ErrorCode.INTERNAL, "The server could not " + what + "; the upload is durable up"
                + " to byte " + durable + " and can be resumed from there.", durable, e);
    }
}
