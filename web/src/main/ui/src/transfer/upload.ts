import type { ChannelControl, Connection } from "../api/connection";
import { RelayError, isRetriable } from "../api/errors";
import type { UploadEvent, UploadInfo, UploadState, UploadTicket } from "../api/wire";
import { Backoff } from "./backoff";
import { RateMeter, eta } from "./rate";
import { ReadAhead } from "./readAhead";
import { checkTransition, type UploadStatus } from "./uploadStatus";

export type { UploadStatus } from "./uploadStatus";

/** Nothing is being transferred: pause and resume have nothing to act on. */
const DONE: ReadonlySet<UploadStatus> = new Set(["completed", "failed", "cancelled"]);

/** The bytes of a file, read on demand (a browser File, or test data). */
export interface FileSource {
  readonly name: string;
  readonly size: number;
  readonly type: string;
  readonly lastModified: number;
  read(start: number, end: number): Promise<Uint8Array>;
  /**
   * The bytes as a Blob, not read: the connection sends it as it is and the browser reads it while sending, so a
   * browser File's chunks cost the page no read and no copy. Sources without it are read (ReadAhead).
   */
  slice?(start: number, end: number): Blob;
}

export function fileSource(file: Blob & { name?: string; lastModified?: number }, name = file.name ?? "file"): FileSource {
  return {
    name,
    size: file.size,
    type: file.type,
    lastModified: file.lastModified ?? 0,
    read: async (start, end) => {
      try {
        return new Uint8Array(await file.slice(start, end).arrayBuffer());
      } catch (e) {
        // Chrome's NotReadableError: the file was modified or deleted after it was chosen.
        throw new RelayError("FILE_CHANGED", `Cannot read ${name}: ${(e as Error).message}`);
      }
    },
    slice: (start, end) => file.slice(start, end),
  };
}

export interface TransferDeps {
  /** A live connection; waits while the app reconnects. */
  connection(): Promise<Connection>;
  sleep(ms: number): Promise<void>;
  now(): number;
}

export interface UploadOptions {
  /** Send to this user (id or name): the upload becomes a file message. */
  recipient?: string;
  /** Continue an existing upload instead of creating one. */
  uploadId?: string;
  messageId?: number;
  maxChunkBytes?: number;
  /** Bytes of the file read ahead of the server's credit (see ReadAhead). */
  readAheadBytes?: number;
  backoff?: Backoff;
  /** Shortest interval between two progress notifications (state changes are immediate). */
  progressIntervalMs?: number;
  /** The upload exists on the server (called once, right after uploads.create). */
  onTicket?(ticket: UploadTicket): void;
}

export interface UploadSnapshot {
  status: UploadStatus;
  uploadId?: string;
  messageId?: number;
  name: string;
  size: number;
  /** Bytes handed to the connection (the server's `received` may lag by what is in flight). */
  sent: number;
  received: number;
  /** The durable offset: everything before it survives a server restart. */
  offset: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
  /** request-n credits granted by the server on the current channel, cumulative, and those not used yet. */
  creditsGranted: number;
  credit: number;
  channelOpen: boolean;
  /** The server reported the upload paused (no credit is being granted). */
  serverState?: UploadState;
  reconnectAttempts: number;
  sha256?: string;
  error?: RelayError;
}

/** A change to the snapshot other than its status, which changes only through moveTo(). */
type SnapshotPatch = Partial<Omit<UploadSnapshot, "status">>;

const DEFAULT_CHUNK = 256 * 1024;

/**
 * One upload's state machine:
 *
 *   idle → uploading ⇄ paused;  uploading/paused → reconnecting → uploading/paused;  → completed | failed | cancelled;
 *   failed → uploading (retry) | cancelled
 *
 * Every allowed move is in TRANSITIONS (uploadStatus.ts), and every status change goes through moveTo(), which
 * refuses any other. It sends exactly one chunk per credit the server grants (docs/protocol.md §4), so pausing needs
 * nothing from the client but to keep honouring request-n. After a dropped connection, a server restart or a
 * retriable error it asks the server for the durable offset and opens a new write channel there.
 */
export class UploadController {
  private snap: UploadSnapshot;
  private readonly listeners = new Set<(s: UploadSnapshot) => void>();
  private readonly backoff: Backoff;
  private readonly meter = new RateMeter();
  private maxChunk: number;
  private channel?: ChannelControl;
  private generation = 0;
  private cancelRequested = false;
  private running = false;
  private notifyTimer?: ReturnType<typeof setTimeout>;
  private finished?: Promise<UploadSnapshot>;

  constructor(
    private readonly file: FileSource,
    private readonly deps: TransferDeps,
    private readonly options: UploadOptions = {},
  ) {
    this.backoff = options.backoff ?? new Backoff();
    this.maxChunk = options.maxChunkBytes ?? DEFAULT_CHUNK;
    this.snap = {
      status: "idle",
      uploadId: options.uploadId,
      messageId: options.messageId,
      name: file.name,
      size: file.size,
      sent: 0,
      received: 0,
      offset: 0,
      bytesPerSecond: 0,
      etaSeconds: null,
      creditsGranted: 0,
      credit: 0,
      channelOpen: false,
      reconnectAttempts: 0,
    };
  }

  get snapshot(): UploadSnapshot {
    return this.snap;
  }

  get uploadId(): string | undefined {
    return this.snap.uploadId;
  }

  subscribe(listener: (s: UploadSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts (or, after `failed`, retries) the upload; resolves when it is completed, failed or cancelled. */
  start(): Promise<UploadSnapshot> {
    if (this.running && this.finished) return this.finished;
    if (this.snap.status !== "idle" && this.snap.status !== "failed") return this.finished ?? Promise.resolve(this.snap);
    this.running = true;
    this.moveTo("uploading", { error: undefined });
    this.finished = this.run().finally(() => {
      this.running = false;
    });
    return this.finished;
  }

  retry(): Promise<UploadSnapshot> {
    return this.start();
  }

  /**
   * Asks the server to stop granting credit; the channel stays open (docs/protocol.md "Pause and resume"). Before
   * start() there is nothing to pause.
   */
  async pause(): Promise<void> {
    const id = this.snap.uploadId;
    if (!id || this.snap.status === "idle" || DONE.has(this.snap.status)) return;
    const info = await (await this.deps.connection()).request<UploadInfo>(`uploads.${id}.pause`);
    if (!DONE.has(this.snap.status) && info?.state === "PAUSED") this.moveTo("paused", { serverState: "PAUSED" });
  }

  /** Asks the server to grant credit again on the same channel. */
  async resume(): Promise<void> {
    const id = this.snap.uploadId;
    if (!id || this.snap.status === "idle" || DONE.has(this.snap.status)) return;
    const info = await (await this.deps.connection()).request<UploadInfo>(`uploads.${id}.resume`);
    if (!DONE.has(this.snap.status) && info?.state === "ACTIVE") {
      this.moveTo(this.snap.status === "reconnecting" ? "reconnecting" : "uploading", { serverState: "ACTIVE" });
    }
  }

  /** Ends the upload on the server; the open channel then fails with CANCELLED. */
  async cancel(): Promise<void> {
    if (DONE.has(this.snap.status) && this.snap.status !== "failed") return;
    this.cancelRequested = true;
    const id = this.snap.uploadId;
    if (!id || !this.running) {
      if (id) await (await this.deps.connection()).request(`uploads.${id}.cancel`).catch(() => {});
      this.channel?.cancel();
      this.moveTo("cancelled", { channelOpen: false });
      return;
    }
    try {
      await (await this.deps.connection()).request(`uploads.${id}.cancel`);
    } catch (e) {
      const error = RelayError.from(e);
      // Already final on the server: the run loop reports what it is.
      if (error.code !== "INVALID_STATE") throw error;
    }
  }

  /** Stops local work without touching the server (the page is closing, or the user logs out). */
  detach(): void {
    this.generation++;
    this.channel?.cancel();
    this.cancelRequested = true;
  }

  private async run(): Promise<UploadSnapshot> {
    for (;;) {
      let connection: Connection;
      try {
        connection = await this.deps.connection();
        if (this.cancelRequested) return this.finishCancelled(connection);
        let start: number;
        if (!this.snap.uploadId) {
          const ticket = await connection.request<UploadTicket>("uploads.create", {
            name: this.file.name,
            size: this.file.size,
            contentType: this.file.type || undefined,
            recipient: this.options.recipient,
          });
          this.maxChunk = ticket.maxChunkBytes || this.maxChunk;
          this.update({ uploadId: ticket.id, messageId: ticket.messageId ?? undefined, offset: ticket.offset }, true);
          this.options.onTicket?.(ticket);
          // Cancelled while the upload was being created: now that it exists, cancel it on the server too.
          if (this.cancelRequested) return this.finishCancelled(connection);
          start = ticket.offset;
        } else {
          const info = await connection.request<UploadInfo>(`uploads.${this.snap.uploadId}`);
          const final = this.finalFromInfo(info);
          if (final) return final;
          start = info.offset;
          this.update({ offset: info.offset, received: Math.max(this.snap.received, info.offset), serverState: info.state }, true);
        }
        // Slices are read only by the browser as it sends them, and a slice of a file changed on disk fails the
        // whole connection: read one byte first so that such a file fails the upload (FILE_CHANGED) instead.
        if (this.file.slice && start < this.file.size) await this.file.read(start, start + 1);
        const completed = await this.write(connection, start);
        this.meter.reset();
        return this.finish("completed", {
          sent: this.file.size,
          received: this.file.size,
          offset: this.file.size,
          sha256: completed.sha256 ?? undefined,
          bytesPerSecond: 0,
          etaSeconds: 0,
        });
      } catch (e) {
        const error = RelayError.from(e);
        this.channel = undefined;
        this.update({ channelOpen: false, credit: 0 });
        if (this.cancelRequested || error.code === "CANCELLED") {
          return this.finish("cancelled", { error: undefined });
        }
        if (!isRetriable(error)) return this.finish("failed", { error });
        // Retry from the server's durable offset after a pause that grows with repeated failures.
        const wait = error.code === "OFFSET_MISMATCH" ? 0 : this.backoff.next();
        this.moveTo("reconnecting", { error, reconnectAttempts: this.snap.reconnectAttempts + 1, bytesPerSecond: 0 });
        this.meter.reset();
        if (wait > 0) await this.deps.sleep(wait);
      }
    }
  }

  private async finishCancelled(connection: Connection): Promise<UploadSnapshot> {
    if (this.snap.uploadId) await connection.request(`uploads.${this.snap.uploadId}.cancel`).catch(() => {});
    return this.finish("cancelled");
  }

  private finalFromInfo(info: UploadInfo): UploadSnapshot | undefined {
    switch (info.state) {
      case "COMPLETED":
        return this.finish("completed", { sent: info.size, received: info.size, offset: info.size, sha256: info.sha256 ?? undefined });
      case "CANCELLED":
        return this.finish("cancelled");
      case "EXPIRED":
      case "FAILED":
      case "DELETED":
        return this.finish("failed", { error: new RelayError(info.state, info.error ?? `The upload is ${info.state.toLowerCase()}.`) });
      default:
        return undefined;
    }
  }

  private finish(status: "completed" | "failed" | "cancelled", patch: SnapshotPatch = {}): UploadSnapshot {
    this.moveTo(status, { ...patch, channelOpen: false, credit: 0 });
    return this.snap;
  }

  /** One write channel from `start`; resolves with COMPLETED, rejects with why it ended otherwise. */
  private write(connection: Connection, start: number): Promise<UploadEvent> {
    const generation = ++this.generation;
    const size = this.file.size;
    const chunk = this.maxChunk;
    // Slices need no reading; otherwise reading starts with the channel, before any credit: a grant is then
    // answered from memory.
    const slice = this.file.slice?.bind(this.file);
    const reader = slice ? undefined : new ReadAhead(this.file, start, chunk, this.options.readAheadBytes);
    return new Promise<UploadEvent>((resolve, reject) => {
      let position = start;
      let credit = 0;
      let pumping = false;
      let stopped = false;
      let outboundComplete = false;
      let completed: UploadEvent | undefined;
      const live = () => !stopped && generation === this.generation;

      const end = (error?: RelayError) => {
        if (stopped) return;
        stopped = true;
        reader?.close();
        if (error) reject(error);
        else if (completed) resolve(completed);
        else reject(new RelayError("INCOMPLETE", "The write channel ended before the upload completed."));
      };

      const pump = async () => {
        if (pumping) return;
        pumping = true;
        try {
          // One chunk per credit, in order: a slice of the file, or what the read-ahead holds (a chunk is taken
          // only to be sent).
          while (live() && credit > 0 && position < size) {
            const length = Math.min(chunk, size - position);
            let bytes: Uint8Array | Blob;
            if (slice) {
              bytes = slice(position, position + length);
            } else {
              bytes = await reader!.head()!;
              if (!live() || credit <= 0) break;
            }
            if (bytes instanceof Blob ? bytes.size !== length : bytes.byteLength !== length) {
              throw new RelayError("FILE_CHANGED", `${this.file.name} changed while it was uploaded.`);
            }
            credit--;
            position += length;
            channel.send(bytes);
            // Only now: the bound then counts the chunk until it has been handed to the connection.
            reader?.shift();
            this.meter.add(this.deps.now(), position);
            this.update({ sent: position, credit });
          }
          if (live() && position >= size && !outboundComplete) {
            outboundComplete = true;
            channel.complete();
          }
        } catch (e) {
          channel.cancel();
          end(RelayError.from(e));
        } finally {
          pumping = false;
        }
      };

      const channel = connection.channel(`uploads.${this.snap.uploadId}.write`, { offset: start }, {
        onRequest: (n) => {
          if (!live()) return;
          credit += n;
          this.update({ creditsGranted: this.snap.creditsGranted + n, credit });
          void pump();
        },
        onCancel: () => {
          credit = 0;
        },
        onEvent: (event: UploadEvent, isComplete) => {
          if (!live()) return;
          this.onEvent(event);
          if (event.type === "COMPLETED") completed = event;
          if (isComplete) end();
        },
        onComplete: () => end(),
        onError: (error) => end(error),
      });
      this.channel = channel;
      this.update({ sent: start, channelOpen: true, creditsGranted: 0, credit: 0 }, true);
      // An upload already durable to its last byte only needs our side completed.
      if (start >= size) void pump();
    });
  }

  private onEvent(event: UploadEvent): void {
    const patch: SnapshotPatch = {
      received: Math.max(event.received ?? 0, event.offset ?? 0),
      offset: event.offset ?? this.snap.offset,
      serverState: event.state,
    };
    if (event.type === "STARTED") {
      // A working channel: the next failure starts the backoff from its base again.
      this.backoff.reset();
      patch.error = undefined;
    }
    const immediate = event.type !== "PROGRESS";
    if (event.state === "PAUSED") this.moveTo("paused", patch, immediate);
    else if (event.state === "ACTIVE") this.moveTo("uploading", patch, immediate);
    else this.update(patch, immediate);
  }

  /**
   * The one way the status changes: throws IllegalUploadTransition for a move TRANSITIONS does not allow (staying in
   * the current status is not a move). State changes are announced at once unless `immediate` is false.
   */
  private moveTo(status: UploadStatus, patch: SnapshotPatch = {}, immediate = true): void {
    if (status !== this.snap.status) checkTransition(this.snap.status, status);
    this.commit({ ...this.snap, ...patch, status }, immediate);
  }

  private update(patch: SnapshotPatch, immediate = false): void {
    this.commit({ ...this.snap, ...patch }, immediate);
  }

  private commit(next: UploadSnapshot, immediate: boolean): void {
    const now = this.deps.now();
    if (next.status === "uploading" || next.status === "paused") {
      next.bytesPerSecond = this.meter.rate(now);
      next.etaSeconds = eta(next.size - next.sent, next.bytesPerSecond);
    }
    this.snap = next;
    // Chunks arrive hundreds of times a second: listeners hear about progress at most every 100 ms.
    if (immediate || this.options.progressIntervalMs === 0) {
      if (this.notifyTimer) clearTimeout(this.notifyTimer);
      this.notifyTimer = undefined;
      this.emit();
    } else if (!this.notifyTimer) {
      this.notifyTimer = setTimeout(() => {
        this.notifyTimer = undefined;
        this.emit();
      }, this.options.progressIntervalMs ?? 100);
    }
  }

  private emit(): void {
    for (const listener of [...this.listeners]) listener(this.snap);
  }
}
