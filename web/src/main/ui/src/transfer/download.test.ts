import { describe, expect, it } from "vitest";
import { ConnectionManager } from "../api/manager";
import { Backoff } from "./backoff";
import { DownloadController, MemorySink } from "./download";
import { FakeConnection, FakeServer, settle, testBytes } from "../testing/fakeServer";

const quick = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 5)));

function setup(size: number) {
  const server = new FakeServer();
  const bytes = testBytes(size, 9);
  server.files.set("f1", bytes);
  const manager = new ConnectionManager(server.connect, { backoff: new Backoff(1, 4, () => 0), sleep: quick });
  manager.start();
  const deps = { connection: () => manager.connection(), sleep: quick, now: () => Date.now() };
  const sink = new MemorySink();
  const download = new DownloadController("f1", "f.bin", size, sink, deps, 4, new Backoff(1, 4, () => 0), 0);
  return { server, bytes, sink, download };
}

const concat = (sink: MemorySink) => {
  const out = new Uint8Array(sink.chunks.reduce((n, c) => n + c.length, 0));
  let p = 0;
  for (const c of sink.chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
};

describe("DownloadController", () => {
  it("downloads every byte with bounded demand", async () => {
    const { server, bytes, sink, download } = setup(10_000);
    const done = await download.start();
    expect(done.status).toBe("completed");
    expect(concat(sink)).toEqual(bytes);
    const demand = (server.connections[0] as FakeConnection).demand;
    expect(demand[0]).toBe(4);
    expect(Math.max(...demand)).toBeLessThanOrEqual(4);
  });

  it("pause stops requesting, resume continues", async () => {
    const { bytes, sink, download } = setup(20_000);
    let paused = false;
    download.subscribe((s) => {
      if (!paused && s.received >= 2048) {
        paused = true;
        download.pause();
      }
    });
    const finished = download.start();
    await settle(40);
    expect(download.snapshot.status).toBe("paused");
    const at = download.snapshot.received;
    await settle(40);
    expect(download.snapshot.received).toBe(at);
    expect(at).toBeLessThan(20_000);
    download.resume();
    const done = await finished;
    expect(done.status).toBe("completed");
    expect(concat(sink)).toEqual(bytes);
  });

  it("continues from the bytes received after a dropped connection", async () => {
    const { server, bytes, sink, download } = setup(20_000);
    let dropped = false;
    download.subscribe((s) => {
      if (!dropped && s.received >= 5000) {
        dropped = true;
        (server.connections[0] as FakeConnection).fail();
      }
    });
    const done = await download.start();
    expect(dropped).toBe(true);
    expect(done.status).toBe("completed");
    expect(concat(sink)).toEqual(bytes);
    expect(server.connections.length).toBe(2);
  });

  it("MemorySink folds its chunks into Blobs as it goes, and the whole is the bytes in order", async () => {
    const bytes = testBytes(10_000, 3);
    const sink = new MemorySink(3_000);
    for (let p = 0; p < bytes.length; p += 1_000) await sink.write(bytes.slice(p, p + 1_000));
    // Folded at 3,000, 6,000 and 9,000 bytes: only the last chunk is still loose.
    expect(sink.chunks).toHaveLength(1);
    expect(new Uint8Array(await sink.blob().arrayBuffer())).toEqual(bytes);
  });
});
