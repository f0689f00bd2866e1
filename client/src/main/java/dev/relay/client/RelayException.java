package dev.relay.client;

import dev.relay.api.ErrorCode;

/** An error the service reported, with its stable code (see {@link ErrorCode}). */
public class RelayException extends RuntimeException {

    private final ErrorCode code;
    private final Long offset;

    public RelayException(ErrorCode code, String message, Long offset, Throwable cause) {
        super(code + ": " + message, cause);
        this.code = code;
        this.offset = offset;
    }

    public ErrorCode code() {
        return code;
    }

    /** The server's durable offset, for {@link ErrorCode#OFFSET_MISMATCH}. */
    public Long offset() {
        return offset;
    }
}
