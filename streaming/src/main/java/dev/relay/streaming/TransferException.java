package dev.relay.streaming;

import dev.relay.api.ErrorCode;

/**
 * A failure the client can act on: a stable {@link ErrorCode} and a human message. Adapters turn it into an RSocket
 * APPLICATION_ERROR or an HTTP error with the same JSON body.
 */
public class TransferException extends RuntimeException {

    private final ErrorCode code;
    private final Long offset;

    public TransferException(ErrorCode code, String message) {
        this(code, message, null, null);
    }

    public TransferException(ErrorCode code, String message, Long offset, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.offset = offset;
    }

    public static TransferException offsetMismatch(String uploadId, long expected, long given) {
        return new TransferException(ErrorCode.OFFSET_MISMATCH,
                "Upload " + uploadId + " is durable up to byte " + expected + ", but the write started at byte "
                        + given + "; start writing from byte " + expected + ".", expected, null);
    }

    public static TransferException notFound(String what, String id) {
        return new TransferException(ErrorCode.NOT_FOUND, "No " + what + " with id " + id + ".");
    }

    public ErrorCode code() {
        return code;
    }

    /** The server's durable offset, for {@link ErrorCode#OFFSET_MISMATCH}; otherwise null. */
    public Long offset() {
        return offset;
    }
}
