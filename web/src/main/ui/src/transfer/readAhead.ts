import type { FileSource } from "./upload";

/** Bytes read ahead of the credit by default: 16 chunks of 256 KiB, enough to answer a whole grant at once. */
export const DEFAULT_READ_AHEAD_BYTES = 4 * 1024 * 1024;

interface Pending {
  start: number;
  length: number;
  bytes: Promise<Uint8Array>;
}

/**
 * Reads a file's chunks in order ahead of the credit to send them, at most `limitBytes` at a time (read or being
 * read), so that a grant is answered from memory and reading goes on while the sender waits for the next grant.
 * The sender looks at the next chunk with `head()` and takes it with `shift()` only once it may send it: a chunk is
 * never taken without being sent. Reads may run concurrently; their order of completion does not matter.
 */
export class ReadAhead {
  private readonly queue: Pending[] = [];
  private next: number;
  private held = 0;
  private closed = false;

  constructor(
    private readonly source: FileSource,
    start: number,
    private readonly chunkBytes: number,
    private readonly limitBytes: number = DEFAULT_READ_AHEAD_BYTES,
  ) {
    this.next = start;
    this.fill();
  }

  /** Bytes read or being read and not yet taken (never more than the limit, or one chunk if that is larger). */
  get heldBytes(): number {
    return this.held;
  }

  /** Where the next chunk `shift()` returns starts. */
  get position(): number {
    return this.queue.length ? this.queue[0].start : this.next;
  }

  /** The next chunk, once read, without taking it; undefined at the end of the file. Rejects if its read failed. */
  head(): Promise<Uint8Array> | undefined {
    return this.queue[0]?.bytes;
  }

  /** Takes the next chunk (after `head()` resolved) and starts reading further ahead in the room it leaves. */
  shift(): void {
    const taken = this.queue.shift();
    if (!taken) return;
    this.held -= taken.length;
    this.fill();
  }

  /** Stops reading ahead; reads under way are left to finish and be dropped. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.held = 0;
  }

  private fill(): void {
    while (!this.closed && this.next < this.source.size) {
      const length = Math.min(this.chunkBytes, this.source.size - this.next);
      // Always one chunk, even if the limit is smaller than a chunk; otherwise only within the limit.
      if (this.queue.length > 0 && this.held + length > this.limitBytes) return;
      const bytes = this.source.read(this.next, this.next + length);
      // A read nobody takes any more (the channel ended) must not report an unhandled rejection.
      bytes.catch(() => {});
      this.queue.push({ start: this.next, length, bytes });
      this.held += length;
      this.next += length;
    }
  }
}
