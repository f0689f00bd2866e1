import { describe, expect, it } from "vitest";
import { ConnectionManager } from "../api/manager";
import { Backoff } from "./backoff";
import { UploadController, type UploadStatus } from "./upload";
import { FakeServer, memoryFile, settle, testBytes } from "../testing/fakeServer";

const quick = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 5)));

function setup(size = 10_000) {
  const server = new FakeServer();
  const manager = new ConnectionManager(server.connect, { backoff: new Backoff(1, 4, () => 0), sleep: quick });
  manager.start();
  const bytes = testBytes(size);
  const deps = { connection: () => manager.connection(), sleep: quick, now: () => Date.now() };
  const statuses: UploadStatus[] = [];
  const make = (options = {}) => {
    const upload = new UploadController(memoryFile(bytes), deps, { backoff: new Backoff(1, 4, () => 0), progressIntervalMs: 0, ...options });
    upload.subscribe((s) => {
      if (statuses[statuses.length - 1] !== s.status) statuses.push(s.status);
    });
    return upload;
  };
  return { server, manager, bytes, make, statuses };
}

function stored(server: FakeServer, id: string) {
  return server.files.get(id);
}

describe("UploadController", () => {
  it("creates the upload, sends one chunk per credit and completes", async () => {
    const { server, bytes, make, statuses } = setup();
    const upload = make({ recipient: "bob" });
    expect(upload.snapshot.status).toBe("idle");
    const done = await upload.start();
    expect(done.status).toBe("completed");
    expect(done.uploadId).toBe("u1");
    expect(done.messageId).toBe(7);
    expect(stored(server, "u1")).toEqual(bytes);
    expect(statuses).toEqual(["uploading", "completed"]);
    // Never more than the window in flight: the fake throws on a chunk without credit.
    expect(server.received.every(([, , length]) => length <= server.maxChunk)).toBe(true);
    expect(done.creditsGranted).toBe(Math.ceil(bytes.length / server.maxChunk));
  });

  it("pause stops the flow on the same channel and resume continues it", async () => {
    const { server, make, statuses, bytes } = setup(20_000);
    const upload = make();
    let pausedAt = -1;
    const paused = new Promise<void>((resolve) =>
      upload.subscribe((s) => {
        if (pausedAt < 0 && s.sent >= 4096) {
          pausedAt = s.sent;
          upload.pause().then(resolve);
        }
      }),
    );
    const finished = upload.start();
    await paused;
    await settle();
    const sentWhilePaused = upload.snapshot.sent;
    expect(upload.snapshot.status).toBe("paused");
    expect(upload.snapshot.credit).toBe(0);
    // At most the credit granted before the pause still flows.
    expect(sentWhilePaused - pausedAt).toBeLessThanOrEqual(server.window * server.maxChunk);
    await settle();
    expect(upload.snapshot.sent).toBe(sentWhilePaused);
    const channelsBefore = server.connections.length;
    await upload.resume();
    const done = await finished;
    expect(done.status).toBe("completed");
    expect(server.connections.length).toBe(channelsBefore);
    expect(stored(server, done.uploadId!)).toEqual(bytes);
    expect(statuses).toEqual(["uploading", "paused", "uploading", "completed"]);
  });

  it("survives a server crash: reconnects with backoff and resumes from the durable offset", async () => {
    const { server, make, statuses, bytes } = setup(20_000);
    const upload = make();
    let killed = false;
    upload.subscribe((s) => {
      if (!killed && s.offset >= 5 * server.partSize) {
        killed = true;
        server.kill();
        setTimeout(() => server.start(), 20);
      }
    });
    const done = await upload.start();
    expect(killed).toBe(true);
    expect(done.status).toBe("completed");
    expect(stored(server, done.uploadId!)).toEqual(bytes);
    expect(statuses).toContain("reconnecting");
    expect(done.reconnectAttempts).toBeGreaterThanOrEqual(1);
    // The second channel started exactly at a part boundary (the durable offset), not at 0.
    const restarts = server.opens.slice(1);
    expect(server.opens[0][1]).toBe(0);
    expect(restarts).toHaveLength(1);
    expect(restarts[0][1] % server.partSize).toBe(0);
    expect(restarts[0][1]).toBeGreaterThanOrEqual(5 * server.partSize);
  });

  it("continues an existing upload (after a reload) from the server's offset", async () => {
    const { server, make, bytes } = setup(8000);
    const first = make();
    first.subscribe((s) => {
      if (s.offset >= 3 * server.partSize && s.status === "uploading") first.detach();
    });
    first.start();
    await settle(50);
    const id = first.uploadId!;
    const offset = server.uploads.get(id)!.offset;
    expect(offset).toBeGreaterThanOrEqual(3 * server.partSize);
    expect(server.uploads.get(id)!.state).toBe("ACTIVE");

    const second = make({ uploadId: id, maxChunkBytes: 256 });
    const firstOffsetSent = server.received.length;
    const done = await second.start();
    expect(done.status).toBe("completed");
    expect(server.received[firstOffsetSent][1]).toBe(offset);
    expect(stored(server, id)).toEqual(bytes);
  });

  it("reports an upload that completed meanwhile without sending anything", async () => {
    const { server, make } = setup(3000);
    const done = await make().start();
    const count = server.received.length;
    const again = await make({ uploadId: done.uploadId }).start();
    expect(again.status).toBe("completed");
    expect(server.received.length).toBe(count);
  });

  it("cancel ends the upload as cancelled", async () => {
    const { server, make, statuses } = setup(50_000);
    const upload = make();
    upload.subscribe((s) => {
      if (s.sent >= 2048 && s.status === "uploading") void upload.cancel();
    });
    const done = await upload.start();
    expect(done.status).toBe("cancelled");
    expect(server.uploads.get(done.uploadId!)!.state).toBe("CANCELLED");
    expect(statuses).toEqual(["uploading", "cancelled"]);
  });

  it("cancel while the upload is being created cancels it on the server once it exists, sending nothing", async () => {
    const { server, make, statuses } = setup();
    const upload = make();
    const handle = server.handleRequest.bind(server);
    server.handleRequest = (route, data) => {
      if (route === "uploads.create") void upload.cancel();
      return handle(route, data);
    };
    const done = await upload.start();
    await settle();
    expect(done.status).toBe("cancelled");
    expect(server.uploads.get(done.uploadId!)!.state).toBe("CANCELLED");
    expect(server.received).toEqual([]);
    expect(statuses).toEqual(["uploading", "cancelled"]);
  });

  it("fails on an error that retrying cannot fix, with its code", async () => {
    const { server, make } = setup();
    server.handleRequest = () => {
      throw new (class extends Error {})('{"code":"QUOTA_EXCEEDED","message":"quota"}');
    };
    const done = await make().start();
    expect(done.status).toBe("failed");
    expect(done.error?.code).toBe("QUOTA_EXCEEDED");
  });

  it("reconnects while paused and stays paused until resumed", async () => {
    const { server, make, bytes } = setup(20_000);
    const upload = make();
    let phase = 0;
    upload.subscribe((s) => {
      if (phase === 0 && s.offset >= 2 * server.partSize) {
        phase = 1;
        void upload.pause().then(() => {
          server.kill();
          setTimeout(() => server.start(), 10);
        });
      }
    });
    const finished = upload.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(upload.snapshot.status).toBe("paused");
    expect(upload.snapshot.channelOpen).toBe(true);
    const sent = upload.snapshot.sent;
    await new Promise((r) => setTimeout(r, 30));
    expect(upload.snapshot.sent).toBe(sent);
    await upload.resume();
    const done = await finished;
    expect(done.status).toBe("completed");
    expect(stored(server, done.uploadId!)).toEqual(bytes);
  });
});
