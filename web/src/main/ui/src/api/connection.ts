import type { RelayError } from "./errors";

// The boundary between the app and rsocket-js. Transfer logic and the store depend only on these interfaces, so
// unit tests replace the network with a fake Connection.

export interface StreamHandlers<T> {
  /** One element; `complete` is true when it is also the last (RSocket's NEXT_COMPLETE). */
  onNext(value: T, complete: boolean): void;
  onComplete(): void;
  onError(error: RelayError): void;
}

export interface StreamControl {
  /** Asks for `n` more elements (RSocket REQUEST_N). */
  request(n: number): void;
  cancel(): void;
}

export interface ChannelHandlers {
  /** The server granted credit for `n` more payloads (REQUEST_N on the channel). */
  onRequest(n: number): void;
  /** The server stopped reading our side (it has everything, or the channel failed). */
  onCancel(): void;
  /** One JSON element of the response stream. */
  onEvent(event: any, complete: boolean): void;
  onComplete(): void;
  onError(error: RelayError): void;
}

export interface ChannelControl {
  /**
   * Sends one data payload; callers send only with credit. A Blob (a File's slice) is sent without the page reading
   * it: the browser reads it while sending.
   */
  send(bytes: Uint8Array | Blob): void;
  /** Completes our side (every byte sent). */
  complete(): void;
  cancel(): void;
}

export interface StreamOptions {
  /** Initial demand; default: unbounded. */
  initialN?: number;
  /**
   * Deliver payload data as bytes instead of parsed JSON: views of memory the transport never reuses (each WebSocket
   * message arrives in an ArrayBuffer of its own, reassembled fragments in a new one), so they need no copy.
   */
  raw?: boolean;
}

export interface Connection {
  /** request-response with JSON data (or none); resolves with the parsed answer (null when empty). */
  request<T>(route: string, data?: unknown): Promise<T>;
  stream<T>(route: string, data: unknown, handlers: StreamHandlers<T>, options?: StreamOptions): StreamControl;
  /** request-channel whose first payload carries `data` (JSON); the rest are raw bytes sent with `send`. */
  channel(route: string, data: unknown, handlers: ChannelHandlers): ChannelControl;
  /** Called once when the connection closes, with the reason if it failed. Returns an unsubscribe function. */
  onClose(listener: (error?: RelayError) => void): () => void;
  close(): void;
  readonly closed: boolean;
}

/** Streams `route` to the end and collects every element (for finite lists like users.list or history). */
export function collect<T>(connection: Connection, route: string, data?: unknown): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const items: T[] = [];
    connection.stream<T>(route, data, {
      onNext: (value, complete) => {
        items.push(value);
        if (complete) resolve(items);
      },
      onComplete: () => resolve(items),
      onError: reject,
    });
  });
}

/** Sleeps `ms` milliseconds (injected into controllers so tests can run on fake time). */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
