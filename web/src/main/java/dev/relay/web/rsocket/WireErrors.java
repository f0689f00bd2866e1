package dev.relay.web.rsocket;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.relay.api.ErrorCode;
import dev.relay.api.wire.ErrorBody;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.StorageUnavailableException;
import dev.relay.web.http.JsonErrors;
import io.rsocket.exceptions.ApplicationErrorException;
import io.rsocket.RSocketErrorException;
import io.rsocket.exceptions.RejectedSetupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.codec.CodecException;
import org.springframework.messaging.MessageDeliveryException;
import org.springframework.messaging.handler.invocation.MethodArgumentResolutionException;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.authentication.DisabledException;
import org.springframework.security.core.AuthenticationException;

/**
 * Turns any failure into the RSocket error a client sees: APPLICATION_ERROR whose data is the JSON {@link ErrorBody}
 * (or REJECTED_SETUP for a refused connection), so every error carries a stable code and a human message.
 */
public final class WireErrors {

    private static final Logger log = LoggerFactory.getLogger(WireErrors.class);

    private WireErrors() {
    }

    public static Throwable toApplicationError(Throwable e) {
        if (e instanceof RSocketErrorException && !(e instanceof ApplicationErrorException)) {
            return e;
        }
        if (e instanceof ApplicationErrorException && e.getMessage() != null && e.getMessage().startsWith("{")) {
            return e;
        }
        return new ApplicationErrorException(json(describe(e)));
    }

    public static Throwable toRejectedSetup(Throwable e) {
        ErrorBody body = describe(e);
        if (body.code() == ErrorCode.INTERNAL) {
            return e;
        }
        return new RejectedSetupException(json(body));
    }

    public static ErrorBody describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TransferException te) {
                return new ErrorBody(te.code(), te.getMessage(), te.offset());
            }
            if (t instanceof StorageUnavailableException) {
                return ErrorBody.of(ErrorCode.STORAGE_UNAVAILABLE, "Storage is unavailable right now; retry in a"
                        + " moment.");
            }
            if (t instanceof DisabledException) {
                return ErrorBody.of(ErrorCode.USER_DISABLED, "This account is disabled; ask an administrator.");
            }
            if (t instanceof AuthenticationException) {
                return ErrorBody.of(ErrorCode.UNAUTHENTICATED, "Authentication failed: " + t.getMessage()
                        + ". Log in again and connect with the new token.");
            }
            if (t instanceof AccessDeniedException) {
                return ErrorBody.of(ErrorCode.UNAUTHENTICATED, "Access denied: connect with a valid bearer token"
                        + " in the SETUP frame's authentication metadata.");
            }
            if (t instanceof CodecException || t instanceof JsonProcessingException
                    || t instanceof MethodArgumentResolutionException) {
                return ErrorBody.of(ErrorCode.INVALID_REQUEST, "The request's data could not be read: "
                        + rootMessage(t));
            }
            String message = String.valueOf(t.getMessage());
            // Spring reports a route nothing handles either way, depending on whether any handler (such as the
            // connect handler, which matches every destination) knows the destination for another interaction.
            if (t instanceof MessageDeliveryException && (message.contains("No handler")
                    || message.startsWith("Destination") && message.contains("does not support"))) {
                return ErrorBody.of(ErrorCode.UNKNOWN_ROUTE, "No such route for this interaction (" + message
                        + "); see docs/protocol.md for the routes.");
            }
            if (t instanceof IllegalStateException && message.contains("metadata is malformed")) {
                return ErrorBody.of(ErrorCode.INVALID_REQUEST, "The request's metadata could not be read: send"
                        + " composite metadata (message/x.rsocket.composite-metadata.v0) with a routing entry.");
            }
        }
        if (e instanceof ApplicationErrorException && String.valueOf(e.getMessage()).startsWith("No handler")) {
            return ErrorBody.of(ErrorCode.UNKNOWN_ROUTE, e.getMessage() + "; see docs/protocol.md for the routes.");
        }
        log.error("Unexpected error on an RSocket request", e);
        return ErrorBody.of(ErrorCode.INTERNAL, "The server failed unexpectedly; retry, and report it if it persists.");
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null ? root.getClass().getSimpleName() : message.lines().findFirst().orElse(message);
    }

    static String json(ErrorBody body) {
        return JsonErrors.json(body);
    }
}
