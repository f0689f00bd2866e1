import { describe, expect, it } from "vitest";
import { RelayError } from "../api/errors";
import { ReadAhead } from "./readAhead";
import type { FileSource } from "./upload";
import { testBytes } from "../testing/fakeServer";

/** A file whose reads finish only when the test says so, and in any order it chooses. */
function heldFile(size: number) {
  const bytes = testBytes(size);
  const reads: Array<{ start: number; end: number; finish(): void; fail(e: Error): void }> = [];
  const file: FileSource = {
    name: "f.bin",
    size,
    type: "",
    lastModified: 0,
    read: (start, end) =>
      new Promise<Uint8Array>((resolve, reject) => {
        reads.push({ start, end, finish: () => resolve(bytes.slice(start, end)), fail: reject });
      }),
  };
  return { bytes, file, reads };
}

/** Takes every chunk in turn, finishing each read on the way. */
async function drain(ahead: ReadAhead, reads: ReturnType<typeof heldFile>["reads"]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let head = ahead.head(); head; head = ahead.head()) {
    for (const r of reads) r.finish();
    out.push(await head);
    ahead.shift();
  }
  return out;
}

describe("ReadAhead", () => {
  it("reads ahead at once, up to its bound in bytes and no further, before anything is taken", () => {
    const { file, reads } = heldFile(10_000);
    const ahead = new ReadAhead(file, 0, 1000, 3500);
    expect(reads.map((r) => [r.start, r.end])).toEqual([[0, 1000], [1000, 2000], [2000, 3000]]);
    expect(ahead.heldBytes).toBe(3000);
  });

  it("reads one chunk further for each one taken, never holding more than the bound", async () => {
    const { file, reads } = heldFile(10_000);
    const ahead = new ReadAhead(file, 0, 1000, 3000);
    let most = 0;
    for (let head = ahead.head(); head; head = ahead.head()) {
      for (const r of reads) r.finish();
      await head;
      ahead.shift();
      most = Math.max(most, ahead.heldBytes);
      expect(reads.length - Math.ceil(ahead.position / 1000)).toBeLessThanOrEqual(3);
    }
    expect(most).toBeLessThanOrEqual(3000);
    expect(reads).toHaveLength(10);
    expect(ahead.heldBytes).toBe(0);
  });

  it("always holds one chunk, even when the bound is smaller than a chunk", () => {
    const { file, reads } = heldFile(10_000);
    const ahead = new ReadAhead(file, 0, 4000, 1000);
    expect(reads).toHaveLength(1);
    expect(ahead.heldBytes).toBe(4000);
  });

  it("hands the chunks out in file order, whatever order the reads finish in", async () => {
    const { bytes, file, reads } = heldFile(5_500);
    const ahead = new ReadAhead(file, 0, 1000, 10_000);
    // The last read finishes first, the first one last.
    for (const r of [...reads].reverse()) r.finish();
    const chunks = await drain(ahead, reads);
    expect(chunks.map((c) => c.byteLength)).toEqual([1000, 1000, 1000, 1000, 1000, 500]);
    const joined = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
    chunks.reduce((at, c) => (joined.set(c, at), at + c.byteLength), 0);
    expect(joined).toEqual(bytes);
  });

  it("starts at the given offset (a resumed upload) and ends at the end of the file", async () => {
    const { bytes, file, reads } = heldFile(3_000);
    const ahead = new ReadAhead(file, 1_200, 1000, 10_000);
    expect(ahead.position).toBe(1_200);
    const chunks = await drain(ahead, reads);
    expect(chunks.map((c) => c.byteLength)).toEqual([1000, 800]);
    expect(chunks[1]).toEqual(bytes.slice(2_200));
    expect(ahead.head()).toBeUndefined();
    expect(ahead.position).toBe(3_000);
  });

  it("looking at the next chunk does not take it", async () => {
    const { file, reads } = heldFile(3_000);
    const ahead = new ReadAhead(file, 0, 1000, 1000);
    reads[0].finish();
    await ahead.head();
    await ahead.head();
    expect(ahead.position).toBe(0);
    expect(reads).toHaveLength(1);
    ahead.shift();
    expect(ahead.position).toBe(1000);
    expect(reads).toHaveLength(2);
  });

  it("reports a failed read when its chunk is looked at, and none of the reads dropped by close()", async () => {
    const { file, reads } = heldFile(3_000);
    const ahead = new ReadAhead(file, 0, 1000, 3000);
    reads[0].fail(new RelayError("FILE_CHANGED", "gone"));
    await expect(ahead.head()).rejects.toMatchObject({ code: "FILE_CHANGED" });
    ahead.close();
    // Rejections of reads nobody takes any more would fail the run as unhandled.
    reads[1].fail(new Error("dropped"));
    reads[2].fail(new Error("dropped"));
    expect(ahead.head()).toBeUndefined();
    expect(ahead.heldBytes).toBe(0);
    ahead.shift();
    expect(reads).toHaveLength(3);
  });
});
