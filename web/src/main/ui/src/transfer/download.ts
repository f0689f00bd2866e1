import type { Connection, StreamControl } from "../api/connection";
import { RelayError, isRetriable } from "../api/errors";
import { Backoff } from "./backoff";
import { RateMeter, eta } from "./rate";
import type { TransferDeps } from "./upload";

export type DownloadStatus = "idle" | "downloading" | "paused" | "reconnecting" | "completed" | "failed" | "cancelled";

/** Where downloaded bytes go, in order: a file picked with the File System Access API, or memory for a Blob. */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

export interface DownloadSnapshot {
  status: DownloadStatus;
  fileId: string;
  name: string;
  size: number;
  received: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
  /** Chunks requested and not yet received: what may still arrive after a pause. */
  outstanding: number;
  error?: RelayError;
}

/**
 * A demand-driven download (files.{id}.read): the next chunk is requested only once one is written, so pausing is
 * simply not requesting (the server reads nothing more), and resuming requests again. A dropped connection
 * continues from the bytes already received.
 */
export class DownloadController {
  private snap: DownloadSnapshot;
  private readonly listeners = new Set<(s: DownloadSnapshot) => void>();
  private readonly meter = new RateMeter();
  private readonly backoff: Backoff;
  private stream?: StreamControl;
  private outstanding = 0;
  private generation = 0;
  private notifyTimer?: ReturnType<typeof setTimeout>;
  private wake?: () => void;
  private cancelled = false;

  constructor(
    fileId: string,
    name: string,
    size: number,
    private readonly sink: ByteSink,
    private readonly deps: TransferDeps,
    private readonly prefetch = 8,
    backoff?: Backoff,
    private readonly progressIntervalMs = 100,
  ) {
    this.backoff = backoff ?? new Backoff();
    this.snap = { status: "idle", fileId, name, size, received: 0, bytesPerSecond: 0, etaSeconds: null, outstanding: 0 };
  }

  get snapshot(): DownloadSnapshot {
    return this.snap;
  }

  subscribe(listener: (s: DownloadSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<DownloadSnapshot> {
    if (this.snap.status !== "idle") return this.snap;
    this.update({ status: "downloading" }, true);
    for (;;) {
      try {
        const connection = await this.deps.connection();
        if (this.cancelled) return this.snap;
        await this.read(connection);
        this.meter.reset();
        await this.sink.close();
        this.update({ status: "completed", bytesPerSecond: 0, etaSeconds: 0, outstanding: 0 }, true);
        return this.snap;
      } catch (e) {
        const error = RelayError.from(e);
        this.stream = undefined;
        this.outstanding = 0;
        if (this.cancelled) return this.snap;
        if (!isRetriable(error)) {
          await this.sink.abort().catch(() => {});
          this.update({ status: "failed", error, outstanding: 0 }, true);
          return this.snap;
        }
        this.update({ status: this.isPaused() ? "paused" : "reconnecting", error, bytesPerSecond: 0 }, true);
        await this.deps.sleep(this.backoff.next());
      }
    }
  }

  private isPaused(): boolean {
    return this.snap.status === "paused";
  }

  pause(): void {
    if (this.snap.status !== "downloading" && this.snap.status !== "reconnecting") return;
    // Nothing to send: we just stop asking. Chunks already requested still arrive.
    this.update({ status: "paused", bytesPerSecond: 0, etaSeconds: null }, true);
  }

  resume(): void {
    if (this.snap.status !== "paused") return;
    this.update({ status: "downloading" }, true);
    this.meter.reset();
    this.topUp();
    this.wake?.();
  }

  async cancel(): Promise<void> {
    if (this.snap.status === "completed" || this.snap.status === "cancelled") return;
    this.cancelled = true;
    this.generation++;
    this.stream?.cancel();
    this.wake?.();
    await this.sink.abort().catch(() => {});
    this.update({ status: "cancelled", outstanding: 0 }, true);
  }

  private topUp(): void {
    if (!this.stream || this.snap.status !== "downloading") return;
    const missing = this.prefetch - this.outstanding;
    if (missing > 0) {
      this.outstanding += missing;
      this.stream.request(missing);
      this.update({ outstanding: this.outstanding });
    }
  }

  private async read(connection: Connection): Promise<void> {
    // A download paused before (re)connecting opens its stream only when resumed: REQUEST_STREAM needs n ≥ 1.
    while (this.snap.status === "paused" && !this.cancelled) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    const generation = ++this.generation;
    if (this.snap.status === "reconnecting") this.update({ status: "downloading" }, true);
    let writing = Promise.resolve();
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (e: unknown) => {
        if (failed) return;
        failed = true;
        this.stream?.cancel();
        reject(RelayError.from(e));
      };
      this.outstanding = this.prefetch;
      this.stream = connection.stream<Uint8Array>(
        `files.${this.snap.fileId}.read`,
        { offset: this.snap.received },
        {
          onNext: (chunk, complete) => {
            if (generation !== this.generation || failed) return;
            this.outstanding--;
            // Kept as it is: the connection hands over memory it never reuses (StreamOptions.raw).
            const bytes = chunk;
            writing = writing
              .then(async () => {
                if (failed || generation !== this.generation) return;
                await this.sink.write(bytes);
                const received = this.snap.received + bytes.byteLength;
                this.meter.add(this.deps.now(), received);
                this.update({ received, outstanding: this.outstanding, error: undefined });
                this.backoff.reset();
                if (!complete) this.topUp();
              })
              .catch(fail);
            if (complete) writing.then(() => resolve(), fail);
          },
          onComplete: () => writing.then(() => resolve(), fail),
          onError: (e) => fail(e),
        },
        { initialN: this.prefetch, raw: true },
      );
    });
    if (this.snap.received !== this.snap.size) {
      throw new RelayError("INCOMPLETE", `Received ${this.snap.received} of ${this.snap.size} bytes.`);
    }
  }

  private update(patch: Partial<DownloadSnapshot>, immediate = false): void {
    const next = { ...this.snap, ...patch };
    if (next.status === "downloading") {
      next.bytesPerSecond = this.meter.rate(this.deps.now());
      next.etaSeconds = eta(next.size - next.received, next.bytesPerSecond);
    }
    this.snap = next;
    if (immediate || this.progressIntervalMs === 0) {
      if (this.notifyTimer) clearTimeout(this.notifyTimer);
      this.notifyTimer = undefined;
      for (const l of [...this.listeners]) l(this.snap);
    } else if (!this.notifyTimer) {
      this.notifyTimer = setTimeout(() => {
        this.notifyTimer = undefined;
        for (const l of [...this.listeners]) l(this.snap);
      }, this.progressIntervalMs);
    }
  }
}

/**
 * Collects chunks in memory; `blob()` afterwards (the fallback without the File System Access API). Every
 * `foldBytes` the chunks so far become one Blob: a single Blob of the whole file at the end copied it all at once,
 * a long task of hundreds of milliseconds; a Blob of Blobs is only references.
 */
export class MemorySink implements ByteSink {
  /** Chunks not folded into a Blob yet. */
  readonly chunks: Uint8Array[] = [];
  private readonly parts: Blob[] = [];
  private unfolded = 0;
  closed = false;
  aborted = false;

  constructor(private readonly foldBytes = 4 * 1024 * 1024) {}

  async write(chunk: Uint8Array): Promise<void> {
    this.chunks.push(chunk);
    this.unfolded += chunk.byteLength;
    if (this.unfolded >= this.foldBytes) this.fold();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async abort(): Promise<void> {
    this.aborted = true;
    this.chunks.length = 0;
    this.parts.length = 0;
    this.unfolded = 0;
  }

  blob(type = "application/octet-stream"): Blob {
    this.fold();
    return new Blob(this.parts, { type });
  }

  private fold(): void {
    if (!this.chunks.length) return;
    this.parts.push(new Blob(this.chunks as BlobPart[]));
    this.chunks.length = 0;
    this.unfolded = 0;
  }
}
