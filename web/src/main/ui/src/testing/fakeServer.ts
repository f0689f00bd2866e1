// A fake Relay server at the rsocket boundary (the Connection interface), for unit tests: it grants credit like
// the real one (a window of chunks, topped up per chunk received, none while paused), makes bytes durable per
// "part", and can be killed (connections fail, bytes after the last part are lost).
import type { ChannelControl, ChannelHandlers, Connection, StreamControl, StreamHandlers, StreamOptions } from "../api/connection";
import { RelayError } from "../api/errors";
import type { UploadInfo, UploadState } from "../api/wire";

interface FakeUpload {
  id: string;
  name: string;
  size: number;
  state: UploadState;
  offset: number;
  received: number;
  data: Uint8Array;
  writer?: { handlers: ChannelHandlers; outstanding: number; id: number };
}

export class FakeServer {
  readonly uploads = new Map<string, FakeUpload>();
  readonly files = new Map<string, Uint8Array>();
  readonly connections: FakeConnection[] = [];
  /** Chunks of credit granted at once (the window). */
  window = 4;
  /** Bytes per durable part. */
  partSize = 1024;
  maxChunk = 256;
  available = true;
  /** Every data payload received: [uploadId, offset, length]. */
  readonly received: Array<[string, number, number]> = [];
  /** Data payloads sent as Blobs (File slices), not bytes. */
  blobsSent = 0;
  /** Every write channel opened: [uploadId, offset]. */
  readonly opens: Array<[string, number]> = [];
  private nextId = 1;
  private channelIds = 0;

  connect = async (): Promise<Connection> => {
    if (!this.available) throw new RelayError("UNREACHABLE", "server down");
    const connection = new FakeConnection(this);
    this.connections.push(connection);
    return connection;
  };

  /** Simulates SIGKILL: every connection fails, bytes not yet durable are lost, the server is down until start(). */
  kill(): void {
    this.available = false;
    for (const upload of this.uploads.values()) {
      upload.writer = undefined;
      upload.received = upload.offset;
    }
    for (const c of this.connections.splice(0)) c.fail(new RelayError("CONNECTION_CLOSED", "Closed. Original cause [socket closed]."));
  }

  start(): void {
    this.available = true;
  }

  info(u: FakeUpload): UploadInfo {
    return { id: u.id, name: u.name, size: u.size, state: u.state, offset: u.offset, partSize: this.partSize };
  }

  handleRequest(route: string, data: any): unknown {
    if (route === "uploads.create") {
      const id = `u${this.nextId++}`;
      this.uploads.set(id, { id, name: data.name, size: data.size, state: "ACTIVE", offset: 0, received: 0, data: new Uint8Array(data.size) });
      return { id, size: data.size, partSize: this.partSize, offset: 0, maxChunkBytes: this.maxChunk, messageId: 7 };
    }
    const m = /^uploads\.([^.]+)(?:\.(pause|resume|cancel))?$/.exec(route);
    const upload = m && this.uploads.get(m[1]);
    if (!m || !upload) throw new RelayError("NOT_FOUND", "no such upload");
    const final = !["ACTIVE", "PAUSED"].includes(upload.state);
    switch (m[2]) {
      case undefined:
        return this.info(upload);
      case "pause":
        if (final) throw new RelayError("INVALID_STATE", "final");
        upload.state = "PAUSED";
        upload.writer?.handlers.onEvent({ type: "PAUSED", received: upload.received, offset: upload.offset, state: "PAUSED" }, false);
        return this.info(upload);
      case "resume":
        if (final) throw new RelayError("INVALID_STATE", "final");
        upload.state = "ACTIVE";
        if (upload.writer) {
          upload.writer.handlers.onEvent({ type: "RESUMED", received: upload.received, offset: upload.offset, state: "ACTIVE" }, false);
          this.grant(upload);
        }
        return this.info(upload);
      case "cancel":
        if (final) throw new RelayError("INVALID_STATE", "final");
        upload.state = "CANCELLED";
        upload.writer?.handlers.onError(new RelayError("CANCELLED", "cancelled"));
        upload.writer = undefined;
        return this.info(upload);
    }
    return null;
  }

  openChannel(route: string, data: any, handlers: ChannelHandlers): ChannelControl {
    const id = /^uploads\.([^.]+)\.write$/.exec(route)?.[1];
    const upload = id ? this.uploads.get(id) : undefined;
    const channelId = ++this.channelIds;
    const dead: ChannelControl = { send: () => {}, complete: () => {}, cancel: () => {} };
    if (!upload) {
      queueMicrotask(() => handlers.onError(new RelayError("NOT_FOUND", "no such upload")));
      return dead;
    }
    this.opens.push([upload.id, data.offset]);
    if (data.offset !== upload.offset) {
      queueMicrotask(() => handlers.onError(new RelayError("OFFSET_MISMATCH", "wrong offset", upload.offset)));
      return dead;
    }
    if (upload.writer) upload.writer.handlers.onError(new RelayError("TAKEN_OVER", "taken over"));
    upload.received = upload.offset;
    const writer = { handlers, outstanding: 0, id: channelId };
    upload.writer = writer;
    const current = () => upload.writer?.id === channelId;
    let writes = Promise.resolve();
    queueMicrotask(() => {
      if (!current()) return;
      handlers.onEvent({ type: "STARTED", received: upload.received, offset: upload.offset, state: upload.state }, false);
      this.grant(upload);
    });
    return {
      send: (bytes) => {
        if (!current()) return;
        if (writer.outstanding <= 0) throw new Error("chunk sent without credit");
        writer.outstanding--;
        const length = bytes instanceof Blob ? bytes.size : bytes.byteLength;
        this.received.push([upload.id, upload.received, length]);
        if (bytes instanceof Blob) {
          // As a WebSocket sends a Blob: read after send() returned, in order with what follows.
          const at = upload.received;
          this.blobsSent++;
          writes = writes.then(async () => upload.data.set(new Uint8Array(await bytes.arrayBuffer()), at));
        } else {
          upload.data.set(bytes, upload.received);
        }
        upload.received += length;
        if (Math.floor(upload.received / this.partSize) > Math.floor(upload.offset / this.partSize)) {
          upload.offset = Math.floor(upload.received / this.partSize) * this.partSize;
        }
        handlers.onEvent({ type: "PROGRESS", received: upload.received, offset: upload.offset, state: upload.state }, false);
        if (upload.received < upload.size) setTimeout(() => current() && this.grant(upload), 0);
      },
      complete: () => {
        if (!current() || upload.received !== upload.size) return;
        void writes.then(() => {
          if (!current()) return;
          upload.offset = upload.size;
          upload.state = "COMPLETED";
          upload.writer = undefined;
          this.files.set(upload.id, upload.data);
          handlers.onEvent({ type: "COMPLETED", received: upload.size, offset: upload.size, state: "COMPLETED", sha256: "fake" }, true);
        });
      },
      cancel: () => {
        if (!current()) return;
        upload.writer = undefined;
        upload.offset = upload.received; // the server stages what it received when the client goes away
      },
    };
  }

  /** Tops the writer's credit up to the window, unless paused. */
  grant(upload: FakeUpload): void {
    const writer = upload.writer;
    if (!writer || upload.state !== "ACTIVE") return;
    const missing = this.window - writer.outstanding;
    const remainingChunks = Math.ceil((upload.size - upload.received) / this.maxChunk) - writer.outstanding;
    const n = Math.min(missing, remainingChunks);
    if (n > 0) {
      writer.outstanding += n;
      writer.handlers.onRequest(n);
    }
  }
}

export class FakeConnection implements Connection {
  closed = false;
  private closeListeners = new Set<(e?: RelayError) => void>();
  private channels = new Set<ChannelHandlers>();
  private streams = new Set<StreamHandlers<any>>();
  /** request-n seen on download streams. */
  readonly demand: number[] = [];

  constructor(private readonly server: FakeServer) {}

  async request<T>(route: string, data?: unknown): Promise<T> {
    if (this.closed) throw new RelayError("CONNECTION_CLOSED", "closed");
    await Promise.resolve();
    return this.server.handleRequest(route, data) as T;
  }

  stream<T>(route: string, data: any, handlers: StreamHandlers<T>, options: StreamOptions = {}): StreamControl {
    const id = /^files\.([^.]+)\.read$/.exec(route)?.[1];
    const bytes = id ? this.server.files.get(id) : undefined;
    if (!bytes) {
      queueMicrotask(() => handlers.onError(new RelayError("NOT_FOUND", "no file")));
      return { request: () => {}, cancel: () => {} };
    }
    this.streams.add(handlers as StreamHandlers<any>);
    let position = data?.offset ?? 0;
    let demand = 0;
    let done = false;
    const chunk = this.server.maxChunk;
    const deliver = () => {
      while (!done && !this.closed && demand > 0 && position < bytes.length) {
        demand--;
        const end = Math.min(bytes.length, position + chunk);
        const piece = bytes.slice(position, end);
        position = end;
        const last = position >= bytes.length;
        if (last) done = true;
        handlers.onNext(piece as T, last);
      }
      if (!done && position >= bytes.length) {
        done = true;
        handlers.onComplete();
      }
    };
    const request = (n: number) => {
      this.demand.push(n);
      demand += n;
      setTimeout(deliver, 0);
    };
    request(options.initialN ?? 0x7fffffff);
    return { request, cancel: () => (done = true) };
  }

  channel(route: string, data: unknown, handlers: ChannelHandlers): ChannelControl {
    this.channels.add(handlers);
    return this.server.openChannel(route, data, handlers);
  }

  onClose(listener: (e?: RelayError) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): void {
    this.fail(undefined);
  }

  fail(error?: RelayError): void {
    if (this.closed) return;
    this.closed = true;
    const e = error ?? new RelayError("CONNECTION_CLOSED", "closed");
    for (const h of this.channels) h.onError(e);
    for (const h of this.streams) h.onError(e);
    for (const l of this.closeListeners) l(error);
  }
}

/** Deterministic test bytes. */
export function testBytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export function memoryFile(bytes: Uint8Array, name = "test.bin") {
  return {
    name,
    size: bytes.length,
    type: "application/octet-stream",
    lastModified: 1,
    read: async (start: number, end: number) => bytes.slice(start, end),
  };
}

/** Lets queued microtasks and zero-delay timers run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
}
