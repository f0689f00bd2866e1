package dev.relay.api.wire;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.relay.api.ErrorCode;

/**
 * The JSON carried by every error: the data of an RSocket ERROR frame and the body of an HTTP error response.
 *
 * @param offset the server's durable offset, for {@link ErrorCode#OFFSET_MISMATCH}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ErrorBody(ErrorCode code, String message, Long offset) {

    public static ErrorBody of(ErrorCode code, String message) {
        return new ErrorBody(code, message, null);
    }
}
