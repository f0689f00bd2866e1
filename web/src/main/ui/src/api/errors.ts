/**
 * A failed call. `code` is the service's stable error code (docs/protocol.md §8) when it sent one; otherwise
 * UNREACHABLE (no HTTP answer), CONNECTION_CLOSED (the RSocket connection dropped), HTTP_<status> or RSOCKET.
 */
export class RelayError extends Error {
  readonly code: string;
  readonly offset?: number;

  constructor(code: string, message: string, offset?: number) {
    super(message);
    this.name = "RelayError";
    this.code = code;
    if (offset !== undefined && offset !== null) this.offset = offset;
  }

  /**
   * Wraps whatever rsocket-js reported. The service's errors are APPLICATION_ERROR frames whose text is the JSON
   * `{"code","message","offset"?}`; a connection-level error reaches open streams as "Closed. Original cause [...]".
   */
  static from(error: unknown): RelayError {
    if (error instanceof RelayError) return error;
    const text = String((error as { message?: unknown })?.message ?? error);
    const start = text.indexOf("{");
    const end = text.lastIndexOf("}");
    if (start >= 0 && end > start) {
      try {
        const body = JSON.parse(text.slice(start, end + 1));
        if (body && typeof body.code === "string") return new RelayError(body.code, body.message ?? body.code, body.offset);
      } catch {
        // not the service's JSON
      }
    }
    if (/closed|socket|connection|websocket/i.test(text)) return new RelayError("CONNECTION_CLOSED", text);
    return new RelayError("RSOCKET", text);
  }
}

/** Errors after which the same request (or a new write channel) may succeed: docs/protocol.md §8. */
const RETRIABLE = new Set([
  "STORAGE_UNAVAILABLE",
  "SHUTTING_DOWN",
  "OVERLOADED",
  "OFFSET_MISMATCH",
  "INTERNAL",
  "CONNECTION_CLOSED",
  "UNREACHABLE",
  "RSOCKET",
  "INCOMPLETE",
]);

export function isRetriable(error: unknown): boolean {
  return RETRIABLE.has(RelayError.from(error).code);
}

const HUMAN: Record<string, string> = {
  INVALID_REQUEST: "The request was not valid.",
  UNAUTHENTICATED: "Your session has expired or the name or password is wrong. Please log in again.",
  FORBIDDEN: "You are not allowed to do that.",
  NOT_FOUND: "It no longer exists, or you cannot see it.",
  UNKNOWN_ROUTE: "The server does not support this yet.",
  CONFLICT: "That username is already taken.",
  USER_DISABLED: "This account is disabled. Ask an administrator.",
  RATE_LIMITED: "You are sending too fast. Wait a moment and try again.",
  ADMIN_ONLY: "Only administrators can do that.",
  LIMIT_EXCEEDED: "Too many open connections or transfers at once. Close some and try again.",
  OFFSET_MISMATCH: "The server had a different position for this upload; continuing from there.",
  FILE_TOO_LARGE: "This file is larger than the server accepts.",
  QUOTA_EXCEEDED: "Not enough storage left in your quota for this file.",
  TOO_MANY_UPLOADS: "You have too many unfinished uploads. Finish or cancel some first.",
  CHUNK_TOO_LARGE: "The app sent a piece that was too large.",
  CREDIT_EXCEEDED: "The app sent data faster than the server allowed.",
  SIZE_EXCEEDED: "The file is larger than when the upload started.",
  INVALID_STATE: "Not possible in the transfer's current state.",
  CHECKSUM_MISMATCH: "The file arrived damaged (checksum mismatch). Send it again.",
  TAKEN_OVER: "This upload was continued from another window.",
  CANCELLED: "The upload was cancelled.",
  STORAGE_UNAVAILABLE: "The server's storage is unavailable; the upload will continue when it is back.",
  STORAGE_INCONSISTENT: "The server's storage lost part of the file. Send it again.",
  SHUTTING_DOWN: "The server is restarting; reconnecting.",
  OVERLOADED: "The server is busy right now. Try again in a moment.",
  INTERNAL: "The server had an unexpected problem.",
  UNREACHABLE: "Cannot reach the server. Check your connection.",
  CONNECTION_CLOSED: "The connection to the server was lost.",
  FILE_CHANGED: "The file changed on disk since the upload started; choose it again.",
  FILE_MISMATCH: "That is not the same file (name, size or date differ).",
};

/** A sentence for people; the code is kept for anything not listed. */
export function humanMessage(error: unknown): string {
  const e = RelayError.from(error);
  return HUMAN[e.code] ?? (e.message || e.code);
}
