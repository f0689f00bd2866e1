package dev.relay.web.http;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.ErrorBody;
import dev.relay.streaming.RateLimitedException;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.StorageUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebInputException;

/** Every HTTP error is JSON: {@code {"code": ..., "message": ...}} with a fitting status. */
@RestControllerAdvice
class HttpErrorAdvice {

    private static final Logger log = LoggerFactory.getLogger(HttpErrorAdvice.class);

    @ExceptionHandler(TransferException.class)
    ResponseEntity<ErrorBody> transfer(TransferException e) {
        ResponseEntity.BodyBuilder answer = ResponseEntity.status(status(e.code()));
        if (e instanceof RateLimitedException limited) {
            answer.header(HttpHeaders.RETRY_AFTER, Long.toString(limited.retryAfterSeconds()));
        }
        return answer.body(new ErrorBody(e.code(), e.getMessage(), e.offset()));
    }

    @ExceptionHandler(StorageUnavailableException.class)
    ResponseEntity<ErrorBody> unavailable(StorageUnavailableException e) {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).body(ErrorBody.of(ErrorCode.STORAGE_UNAVAILABLE,
                "Storage is unavailable right now; retry in a moment."));
    }

    @ExceptionHandler(ServerWebInputException.class)
    ResponseEntity<ErrorBody> input(ServerWebInputException e) {
        String detail = e.getReason() == null ? "malformed request" : e.getReason();
        return ResponseEntity.badRequest().body(ErrorBody.of(ErrorCode.INVALID_REQUEST,
                "The request could not be read: " + detail + "."));
    }

    @ExceptionHandler(ResponseStatusException.class)
    ResponseEntity<ErrorBody> status(ResponseStatusException e) {
        ErrorCode code = e.getStatusCode().value() == 404 ? ErrorCode.NOT_FOUND
                : e.getStatusCode().is4xxClientError() ? ErrorCode.INVALID_REQUEST : ErrorCode.INTERNAL;
        return ResponseEntity.status(e.getStatusCode()).body(ErrorBody.of(code,
                e.getReason() == null ? e.getStatusCode().toString() : e.getReason()));
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ErrorBody> unexpected(Exception e) {
        log.error("Unexpected error on an HTTP request", e);
        return ResponseEntity.internalServerError().body(ErrorBody.of(ErrorCode.INTERNAL,
                "The server failed unexpectedly; retry, and report it if it persists."));
    }

    static HttpStatus status(ErrorCode code) {
        return switch (code) {
            case INVALID_REQUEST, OFFSET_MISMATCH, CHUNK_TOO_LARGE, CREDIT_EXCEEDED, SIZE_EXCEEDED,
                 CHECKSUM_MISMATCH -> HttpStatus.BAD_REQUEST;
            case UNAUTHENTICATED, USER_DISABLED -> HttpStatus.UNAUTHORIZED;
            case FORBIDDEN, ADMIN_ONLY -> HttpStatus.FORBIDDEN;
            case NOT_FOUND, UNKNOWN_ROUTE -> HttpStatus.NOT_FOUND;
            case CONFLICT, INVALID_STATE, TAKEN_OVER, CANCELLED -> HttpStatus.CONFLICT;
            case FILE_TOO_LARGE, QUOTA_EXCEEDED -> HttpStatus.PAYLOAD_TOO_LARGE;
            case TOO_MANY_UPLOADS, RATE_LIMITED, LIMIT_EXCEEDED -> HttpStatus.TOO_MANY_REQUESTS;
            case STORAGE_UNAVAILABLE, SHUTTING_DOWN, OVERLOADED -> HttpStatus.SERVICE_UNAVAILABLE;
            case INTERNAL, STORAGE_INCONSISTENT -> HttpStatus.INTERNAL_SERVER_ERROR;
        };
    }
}
