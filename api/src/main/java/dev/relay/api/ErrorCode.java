package dev.relay.api;

/**
 * Stable error codes carried in every error the service returns (RSocket APPLICATION_ERROR data and HTTP 4xx/5xx
 * bodies are JSON of the form {@code {"code": "...", "message": "...", "offset": n?}}).
 */
public enum ErrorCode {
    /** The request is malformed: bad JSON, a missing or out-of-range field. */
    INVALID_REQUEST,
    /** Missing, invalid or expired credentials. */
    UNAUTHENTICATED,
    /** The caller may not do this (for example a forbidden WebSocket origin). */
    FORBIDDEN,
    /** No such upload or file for this caller (others' ids are reported the same way). */
    NOT_FOUND,
    /** The route does not exist. */
    UNKNOWN_ROUTE,
    /** The username is taken. */
    CONFLICT,
    /** The write channel started at an offset other than the durable offset; {@code offset} holds the server's. */
    OFFSET_MISMATCH,
    /** The declared size is above the configured maximum file size. */
    FILE_TOO_LARGE,
    /** The upload would take the user over their storage quota. */
    QUOTA_EXCEEDED,
    /** The user already has the maximum number of unfinished uploads. */
    TOO_MANY_UPLOADS,
    /** A chunk was larger than the maximum chunk size the server announced. */
    CHUNK_TOO_LARGE,
    /** The client sent a chunk for which the server had granted no credit (request-n). */
    CREDIT_EXCEEDED,
    /** The client sent more bytes than the upload's declared size. */
    SIZE_EXCEEDED,
    /** The operation does not apply in the upload's current state (for example writing a completed upload). */
    INVALID_STATE,
    /** The SHA-256 of the received bytes differs from the one the client declared; the upload failed. */
    CHECKSUM_MISMATCH,
    /** Another write channel took over this upload; this one was closed. */
    TAKEN_OVER,
    /** The upload was cancelled while its write channel was open. */
    CANCELLED,
    /** Storage (S3 or the database) stayed unavailable longer than the configured time. */
    STORAGE_UNAVAILABLE,
    /**
     * S3 does not hold the parts the database recorded for the upload (something else changed them), so the upload
     * failed instead of completing a file that differs from the bytes sent; send the file again.
     */
    STORAGE_INCONSISTENT,
    /** The server is shutting down; what it received is durable ({@code offset}): resume on a new connection. */
    SHUTTING_DOWN,
    /** The user is disabled: their token no longer works, and nobody can send them anything. */
    USER_DISABLED,
    /** Too many requests of this kind in a short time (for example messages); retry a little later. */
    RATE_LIMITED,
    /** Too many connections of this user on this server, or open streams on one connection: close some. */
    LIMIT_EXCEEDED,
    /** The server is working on as many requests of this kind as it takes at once; retry in a moment. */
    OVERLOADED,
    /** The caller must be an administrator. */
    ADMIN_ONLY,
    /** An unexpected server error; the message says what can be done. */
    INTERNAL
}
