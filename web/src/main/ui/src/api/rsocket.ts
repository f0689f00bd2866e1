import "./polyfills";
import { RSocketConnector } from "rsocket-core";
import type { RSocket } from "rsocket-core";
import {
  WellKnownMimeType,
  encodeBearerAuthMetadata,
  encodeCompositeMetadata,
  encodeRoute,
} from "rsocket-composite-metadata";
import { Buffer } from "buffer";
import { RelayError } from "./errors";
import { BlobData, WebsocketTransport } from "./websocketTransport";
import type { ChannelControl, ChannelHandlers, Connection, StreamControl, StreamHandlers, StreamOptions } from "./connection";

/**
 * Above any chunk: each chunk goes as one RSocket frame. Chromium splits large WebSocket messages into continuation
 * frames, which the server puts back together (docs/protocol.md §1); fragments of 64 KiB, which servers before that
 * needed, made the app's upload a third slower (docs/benchmarks.md, "Browser").
 */
const MAX_FRAGMENT_BYTES = 1048576;
/** request-n is 31 bits: this many means "all of them". */
export const UNBOUNDED = 0x7fffffff;

/** ws(s)://<page host>/rsocket for the page's own origin. */
export function rsocketUrl(base: string = window.location.href): string {
  const url = new URL("/rsocket", base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

const routeMetadata = (route: string) =>
  encodeCompositeMetadata([[WellKnownMimeType.MESSAGE_RSOCKET_ROUTING, encodeRoute(route)]]);

// The fragmenter reads data.byteLength, so "no data" is an empty buffer rather than null.
const jsonData = (value: unknown) => (value === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(value)));

function parseJson(data: Buffer | null | undefined): any {
  return data && data.length ? JSON.parse(data.toString("utf8")) : null;
}

/** Opens an authenticated connection: the bearer token travels once, in SETUP (docs/protocol.md §2). */
export async function connectRSocket(url: string, token: string): Promise<Connection> {
  const connector = new RSocketConnector({
    setup: {
      dataMimeType: "application/json",
      metadataMimeType: "message/x.rsocket.composite-metadata.v0",
      keepAlive: 20_000,
      lifetime: 90_000,
      payload: {
        data: null,
        metadata: encodeCompositeMetadata([
          [WellKnownMimeType.MESSAGE_RSOCKET_AUTHENTICATION, encodeBearerAuthMetadata(token)],
        ]),
      },
    },
    fragmentation: { maxOutboundFragmentSize: MAX_FRAGMENT_BYTES },
    transport: new WebsocketTransport(url),
  });
  let rsocket: RSocket;
  try {
    rsocket = await connector.connect();
  } catch (e) {
    const error = RelayError.from(e);
    // A refused WebSocket reports no reason in browsers: the service is down or unreachable.
    if (error.code === "RSOCKET" || error.code === "CONNECTION_CLOSED") {
      throw new RelayError("UNREACHABLE", "Cannot reach the server.");
    }
    throw error;
  }
  return new RSocketConnection(rsocket);
}

class RSocketConnection implements Connection {
  closed = false;
  private listeners = new Set<(error?: RelayError) => void>();
  private closeError?: RelayError;

  constructor(private readonly rsocket: RSocket) {
    rsocket.onClose((error?: Error) => {
      this.closed = true;
      this.closeError = error ? RelayError.from(error) : undefined;
      // rsocket-js reports a server-side ERROR on stream 0 (revoked token) as the close reason.
      for (const listener of [...this.listeners]) listener(this.closeError);
      this.listeners.clear();
    });
  }

  request<T>(route: string, data?: unknown): Promise<T> {
    if (this.closed) return Promise.reject(new RelayError("CONNECTION_CLOSED", "The connection is closed."));
    return new Promise<T>((resolve, reject) => {
      this.rsocket.requestResponse(
        { data: jsonData(data), metadata: routeMetadata(route) },
        {
          onNext: (payload) => {
            try {
              resolve(parseJson(payload.data as Buffer));
            } catch (e) {
              reject(RelayError.from(e));
            }
          },
          onComplete: () => resolve(null as T),
          onError: (e) => reject(RelayError.from(e)),
          onExtension: () => {},
        },
      );
    });
  }

  stream<T>(route: string, data: unknown, handlers: StreamHandlers<T>, options: StreamOptions = {}): StreamControl {
    if (this.closed) {
      queueMicrotask(() => handlers.onError(new RelayError("CONNECTION_CLOSED", "The connection is closed.")));
      return { request: () => {}, cancel: () => {} };
    }
    const raw = options.raw ?? false;
    let done = false;
    const requester = this.rsocket.requestStream(
      { data: jsonData(data), metadata: routeMetadata(route) },
      options.initialN ?? UNBOUNDED,
      {
        onNext: (payload, isComplete) => {
          if (done) return;
          if (isComplete) done = true;
          const buffer = (payload.data as Buffer) ?? Buffer.alloc(0);
          let value: any;
          try {
            value = raw ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : parseJson(buffer);
          } catch (e) {
            done = true;
            requester.cancel();
            handlers.onError(RelayError.from(e));
            return;
          }
          handlers.onNext(value as T, isComplete);
        },
        onComplete: () => {
          if (done) return;
          done = true;
          handlers.onComplete();
        },
        onError: (e) => {
          if (done) return;
          done = true;
          handlers.onError(RelayError.from(e));
        },
        onExtension: () => {},
      },
    );
    return {
      request: (n) => {
        if (!done && n > 0) requester.request(n);
      },
      cancel: () => {
        if (done) return;
        done = true;
        requester.cancel();
      },
    };
  }

  channel(route: string, data: unknown, handlers: ChannelHandlers): ChannelControl {
    if (this.closed) {
      queueMicrotask(() => handlers.onError(new RelayError("CONNECTION_CLOSED", "The connection is closed.")));
      return { send: () => {}, complete: () => {}, cancel: () => {} };
    }
    let done = false;
    let outboundDone = false;
    const requester = this.rsocket.requestChannel(
      { data: jsonData(data), metadata: routeMetadata(route) },
      UNBOUNDED,
      false,
      {
        request: (n) => handlers.onRequest(n),
        cancel: () => {
          outboundDone = true;
          handlers.onCancel();
        },
        onNext: (payload, isComplete) => {
          if (done) return;
          if (isComplete) done = true;
          let event: any;
          try {
            event = parseJson(payload.data as Buffer);
          } catch (e) {
            done = true;
            requester.cancel();
            handlers.onError(RelayError.from(e));
            return;
          }
          handlers.onEvent(event, isComplete);
        },
        onComplete: () => {
          if (done) return;
          done = true;
          handlers.onComplete();
        },
        onError: (e) => {
          if (done) return;
          done = true;
          handlers.onError(RelayError.from(e));
        },
        onExtension: () => {},
      },
    );
    return {
      send: (bytes) => {
        if (done || outboundDone) return;
        // A Blob (a File's slice) goes out as Blob([header, slice]) without being read here (websocketTransport.ts);
        // bytes as a Buffer view of their memory, copied once behind the frame header.
        const data = bytes instanceof Blob ? new BlobData(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        requester.onNext({ data: data as Buffer }, false);
      },
      complete: () => {
        if (done || outboundDone) return;
        outboundDone = true;
        requester.onComplete();
      },
      cancel: () => {
        if (done) return;
        done = true;
        requester.cancel();
      },
    };
  }

  onClose(listener: (error?: RelayError) => void): () => void {
    if (this.closed) {
      queueMicrotask(() => listener(this.closeError));
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    if (!this.closed) this.rsocket.close();
  }
}
