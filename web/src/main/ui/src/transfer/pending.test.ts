import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { PendingUploads, sameFile } from "./pending";

describe("PendingUploads", () => {
  it("keeps unfinished uploads per user, with their file", async () => {
    const store = new PendingUploads(indexedDB);
    const base = { name: "a.bin", size: 3, type: "", lastModified: 5, maxChunkBytes: 256, createdAt: 1 };
    await store.put({ ...base, uploadId: "u1", userId: "alice", file: new Blob([new Uint8Array([1, 2, 3])]) });
    await store.put({ ...base, uploadId: "u2", userId: "bob" });
    const alice = await store.list("alice");
    expect(alice.map((r) => r.uploadId)).toEqual(["u1"]);
    expect(alice[0].file).toBeDefined();
    await store.remove("u1");
    expect(await store.list("alice")).toEqual([]);
  });

  it("recognises the same file by name, size and modification time", () => {
    const record = { name: "a.bin", size: 3, lastModified: 5 };
    expect(sameFile(record, { name: "a.bin", size: 3, lastModified: 5 })).toBe(true);
    expect(sameFile(record, { name: "a.bin", size: 4, lastModified: 5 })).toBe(false);
  });
});
