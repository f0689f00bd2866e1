import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RelayError } from "../api/errors";
import { ConnectionManager } from "../api/manager";
import { Backoff } from "./backoff";
import { UploadController, type FileSource, type UploadOptions, type UploadStatus } from "./upload";
import { canMoveTo } from "./uploadStatus";
import { FakeServer, memoryFile, settle, testBytes } from "../testing/fakeServer";

// Every move the controllers ask the transition table about, in order (the real check still runs).
const checked = vi.hoisted(() => [] as string[]);
vi.mock("./uploadStatus", async (importOriginal) => {
  const actual = await importOriginal<typeof import("./uploadStatus")>();
  return {
    ...actual,
    checkTransition: (from: UploadStatus, to: UploadStatus) => {
      checked.push(`${from} → ${to}`);
      actual.checkTransition(from, to);
    },
  };
});

/** The statuses each controller of the current test went through, as its listener saw them. */
const flows: UploadStatus[][] = [];

beforeEach(() => {
  checked.length = 0;
  flows.length = 0;
});

// Every status change a listener saw went through the table's check, and the check ran only for changes made.
afterEach(() => {
  const seen = flows.flatMap((flow) => flow.slice(1).map((to, i) => `${flow[i]} → ${to}`));
  expect([...checked].sort()).toEqual(seen.sort());
});

const quick = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 5)));

function setup(size = 10_000) {
  const server = new FakeServer();
  const manager = new ConnectionManager(server.connect, { backoff: new Backoff(1, 4, () => 0), sleep: quick });
  manager.start();
  const bytes = testBytes(size);
  const deps = { connection: () => manager.connection(), sleep: quick, now: () => Date.now() };
  const flowOf = new Map<UploadController, UploadStatus[]>();
  const make = (options: UploadOptions = {}, file: FileSource = memoryFile(bytes)) => {
    const upload = new UploadController(file, deps, { backoff: new Backoff(1, 4, () => 0), progressIntervalMs: 0, ...options });
    // With progressIntervalMs 0 every change is announced at once, so this sees every status the upload goes through.
    const flow: UploadStatus[] = [upload.snapshot.status];
    flows.push(flow);
    flowOf.set(upload, flow);
    upload.subscribe((s) => {
      if (flow[flow.length - 1] !== s.status) flow.push(s.status);
    });
    return upload;
  };
  return { server, manager, bytes, make, flowOf: (upload: UploadController) => flowOf.get(upload)! };
}

/** The statuses an upload went through, in order; each step must be a move the table allows. */
function expectFlow(flow: UploadStatus[], expected: UploadStatus[]) {
  expect(flow).toEqual(expected);
  for (let i = 1; i < flow.length; i++) expect(canMoveTo(flow[i - 1], flow[i]), `${flow[i - 1]} → ${flow[i]}`).toBe(true);
}

function stored(server: FakeServer, id: string) {
  return server.files.get(id);
}

describe("UploadController", () => {
  it("creates the upload, sends one chunk per credit and completes", async () => {
    const { server, bytes, make, flowOf } = setup();
    const upload = make({ recipient: "bob" });
    expect(upload.snapshot.status).toBe("idle");
    const done = await upload.start();
    expect(done.status).toBe("completed");
    expect(done.uploadId).toBe("u1");
    expect(done.messageId).toBe(7);
    expect(stored(server, "u1")).toEqual(bytes);
    expectFlow(flowOf(upload), ["idle", "uploading", "completed"]);
    // Never more than the window in flight: the fake throws on a chunk without credit.
    expect(server.received.every(([, , length]) => length <= server.maxChunk)).toBe(true);
    expect(done.creditsGranted).toBe(Math.ceil(bytes.length / server.maxChunk));
  });

  it("reads ahead of the credit within its bound, and still sends one chunk per credit, in order", async () => {
    const { server, bytes, make } = setup(8_000);
    server.window = 1;
    const bound = 3 * server.maxChunk;
    const reads: number[] = [];
    let readBytes = 0;
    let most = 0;
    const file = {
      ...memoryFile(bytes),
      read: async (start: number, end: number) => {
        reads.push(start);
        readBytes += end - start;
        return bytes.slice(start, end);
      },
    };
    const upload = make({ readAheadBytes: bound }, file);
    upload.subscribe((s) => {
      most = Math.max(most, readBytes - s.sent);
      // Ahead of the one credit the server grants at a time: reading does not wait for it.
      if (s.sent === server.maxChunk) expect(readBytes).toBeGreaterThan(2 * server.maxChunk);
    });
    const done = await upload.start();
    expect(done.status).toBe("completed");
    expect(most).toBeLessThanOrEqual(bound);
    expect(reads).toEqual([...reads].sort((a, b) => a - b));
    expect(new Set(reads).size).toBe(reads.length);
    expect(server.received.map(([, offset]) => offset)).toEqual(reads);
    expect(done.creditsGranted).toBe(server.received.length);
    expect(stored(server, done.uploadId!)).toEqual(bytes);
  });

  it("sends a File's slices as Blobs, unread, one per credit, in order", async () => {
    const { server, bytes, make } = setup(8_000);
    server.window = 2;
    const reads: Array<[number, number]> = [];
    const file: FileSource = {
      ...memoryFile(bytes),
      read: async (start, end) => {
        reads.push([start, end]);
        return bytes.slice(start, end);
      },
      slice: (start, end) => new Blob([bytes.slice(start, end)]),
    };
    const done = await make({}, file).start();
    expect(done.status).toBe("completed");
    expect(stored(server, done.uploadId!)).toEqual(bytes);
    // Only the one-byte check that the file is still readable; every chunk went as a Blob (the fake throws on one
    // without credit).
    expect(reads).toEqual([[0, 1]]);
    expect(server.blobsSent).toBe(Math.ceil(bytes.length / server.maxChunk));
    expect(server.received.map(([, offset]) => offset)).toEqual(server.received.map((_, i) => i * server.maxChunk));
    expect(done.creditsGranted).toBe(server.received.length);
  });

  it("with slices, resumes from the durable offset after a crash, checking the file there first", async () => {
    const { server, bytes, make, flowOf } = setup(20_000);
    const reads: number[] = [];
    const file: FileSource = {
      ...memoryFile(bytes),
      read: async (start, end) => {
        reads.push(start);
        return bytes.slice(start, end);
      },
      slice: (start, end) => new Blob([bytes.slice(start, end)]),
    };
    const upload = make({}, file);
    let killed = false;
    upload.subscribe((s) => {
      if (!killed && s.offset >= 5 * server.partSize) {
        killed = true;
        server.kill();
        setTimeout(() => server.start(), 20);
      }
    });
    const done = await upload.start();
    expect(done.status).toBe("completed");
    expect(stored(server, done.uploadId!)).toEqual(bytes);
    expectFlow(flowOf(upload), ["idle", "uploading", "reconnecting", "uploading", "completed"]);
    expect(server.opens).toHaveLength(2);
    expect(server.opens[1][1] % server.partSize).toBe(0);
    expect(reads).toEqual([0, server.opens[1][1]]);
  });

  it("with slices, a file that can no longer be read fails with FILE_CHANGED before its channel opens", async () => {
    const { server, bytes, make, flowOf } = setup(8_000);
    const file: FileSource = {
      ...memoryFile(bytes),
      read: async () => {
        throw new RelayError("FILE_CHANGED", "changed");
      },
      slice: (start, end) => new Blob([bytes.slice(start, end)]),
    };
    const failed = await make({}, file).start();
    expect(failed.status).toBe("failed");
    expect(failed.error?.code).toBe("FILE_CHANGED");
    expect(server.opens).toHaveLength(0);
    expect(server.blobsSent).toBe(0);
    expectFlow(flows[0], ["idle", "uploading", "failed"]);
    void flowOf;
  });

  it("pause stops the flow on the same channel and resume continues it", async () => {
    const { server, make, flowOf, bytes } = setup(20_000);
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
    expectFlow(flowOf(upload), ["idle", "uploading", "paused", "uploading", "completed"]);
  });

  it("completes while paused when the credit granted before the pause carries the last bytes", async () => {
    const { server, make, flowOf } = setup();
    // Three chunks, all granted at once (the window is four); reading all but the first waits for `release`.
    const bytes = testBytes(3 * server.maxChunk);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const file = { ...memoryFile(bytes), read: async (start: number, end: number) => (start > 0 ? gate : Promise.resolve()).then(() => bytes.slice(start, end)) };
    const upload = make({}, file);
    let pausing: Promise<void> | undefined;
    upload.subscribe((s) => {
      if (!pausing && s.sent > 0) pausing = upload.pause();
    });
    const finished = upload.start();
    await settle();
    await pausing;
    expect(upload.snapshot.status).toBe("paused");
    expect(upload.snapshot.sent).toBe(server.maxChunk);
    release();
    const done = await finished;
    expect(done.status).toBe("completed");
    expect(server.uploads.get(done.uploadId!)!.state).toBe("COMPLETED");
    expect(stored(server, done.uploadId!)).toEqual(bytes);
    expectFlow(flowOf(upload), ["idle", "uploading", "paused", "completed"]);
  });

  it("survives a server crash: reconnects with backoff and resumes from the durable offset", async () => {
    const { server, make, flowOf, bytes } = setup(20_000);
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
    expectFlow(flowOf(upload), ["idle", "uploading", "reconnecting", "uploading", "completed"]);
    expect(done.reconnectAttempts).toBeGreaterThanOrEqual(1);
    // The second channel started exactly at a part boundary (the durable offset), not at 0.
    const restarts = server.opens.slice(1);
    expect(server.opens[0][1]).toBe(0);
    expect(restarts).toHaveLength(1);
    expect(restarts[0][1] % server.partSize).toBe(0);
    expect(restarts[0][1]).toBeGreaterThanOrEqual(5 * server.partSize);
  });

  it("reconnects while paused and stays paused until resumed", async () => {
    const { server, make, flowOf, bytes } = setup(20_000);
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
    expectFlow(flowOf(upload), ["idle", "uploading", "paused", "reconnecting", "paused", "uploading", "completed"]);
  });

  it("fails when the upload ended on the server while the connection was down", async () => {
    const { server, make, flowOf } = setup(20_000);
    const upload = make();
    let killed = false;
    upload.subscribe((s) => {
      if (!killed && s.offset >= 2 * server.partSize) {
        killed = true;
        server.kill();
        server.uploads.get(s.uploadId!)!.state = "EXPIRED";
        setTimeout(() => server.start(), 10);
      }
    });
    const done = await upload.start();
    expect(done.status).toBe("failed");
    expect(done.error?.code).toBe("EXPIRED");
    expectFlow(flowOf(upload), ["idle", "uploading", "reconnecting", "failed"]);
  });

  it("continues an existing upload (after a reload) from the server's offset", async () => {
    const { server, make, flowOf, bytes } = setup(8000);
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
    expectFlow(flowOf(second), ["idle", "uploading", "completed"]);
  });

  it("reports an upload that completed meanwhile without sending anything", async () => {
    const { server, make, flowOf } = setup(3000);
    const done = await make().start();
    const count = server.received.length;
    const again = make({ uploadId: done.uploadId });
    const result = await again.start();
    expect(result.status).toBe("completed");
    expect(server.received.length).toBe(count);
    expectFlow(flowOf(again), ["idle", "uploading", "completed"]);
  });

  it("cancel ends the upload as cancelled", async () => {
    const { server, make, flowOf } = setup(50_000);
    const upload = make();
    upload.subscribe((s) => {
      if (s.sent >= 2048 && s.status === "uploading") void upload.cancel();
    });
    const done = await upload.start();
    expect(done.status).toBe("cancelled");
    expect(server.uploads.get(done.uploadId!)!.state).toBe("CANCELLED");
    expectFlow(flowOf(upload), ["idle", "uploading", "cancelled"]);
  });

  it("cancel before start ends it without creating anything; start then does nothing", async () => {
    const { server, make, flowOf } = setup();
    const upload = make();
    await upload.cancel();
    const after = await upload.start();
    expect(after.status).toBe("cancelled");
    expect(server.uploads.size).toBe(0);
    expectFlow(flowOf(upload), ["idle", "cancelled"]);
  });

  it("cancel while the upload is being created cancels it on the server once it exists, sending nothing", async () => {
    const { server, make, flowOf } = setup();
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
    expectFlow(flowOf(upload), ["idle", "uploading", "cancelled"]);
  });

  it("cancel while reconnecting ends it as cancelled on the server when the connection is back", async () => {
    const { server, make, flowOf } = setup(20_000);
    const upload = make();
    let cancelling: Promise<void> | undefined;
    upload.subscribe((s) => {
      if (!cancelling && s.offset >= 2 * server.partSize && server.available) {
        server.kill();
        setTimeout(() => server.start(), 20);
      }
      if (!cancelling && s.status === "reconnecting") cancelling = upload.cancel();
    });
    const done = await upload.start();
    await cancelling;
    expect(done.status).toBe("cancelled");
    expect(server.uploads.get(done.uploadId!)!.state).toBe("CANCELLED");
    expectFlow(flowOf(upload), ["idle", "uploading", "reconnecting", "cancelled"]);
  });

  it("fails on an error that retrying cannot fix, with its code", async () => {
    const { server, make, flowOf } = setup();
    server.handleRequest = () => {
      throw new (class extends Error {})('{"code":"QUOTA_EXCEEDED","message":"quota"}');
    };
    const upload = make();
    const done = await upload.start();
    expect(done.status).toBe("failed");
    expect(done.error?.code).toBe("QUOTA_EXCEEDED");
    expectFlow(flowOf(upload), ["idle", "uploading", "failed"]);
  });

  it("after a failure, retry continues from the durable offset, or cancel gives up", async () => {
    for (const then of ["retry", "cancel"] as const) {
      const { server, make, flowOf, bytes } = setup(8000);
      // The file cannot be read once, past the third part (as when it changed on disk).
      let broken = true;
      const file = {
        ...memoryFile(bytes),
        read: async (start: number, end: number) => {
          if (broken && start >= 3 * server.partSize) {
            broken = false;
            throw new RelayError("FILE_CHANGED", "changed");
          }
          return bytes.slice(start, end);
        },
      };
      const upload = make({}, file);
      const failed = await upload.start();
      expect(failed.status).toBe("failed");
      expect(failed.error?.code).toBe("FILE_CHANGED");
      const id = failed.uploadId!;
      expect(server.uploads.get(id)!.state).toBe("ACTIVE");
      if (then === "retry") {
        const done = await upload.retry();
        expect(done.status).toBe("completed");
        // One more channel, from what the server had kept when the first one was cancelled.
        expect(server.opens).toHaveLength(2);
        expect(server.opens[1][1]).toBeGreaterThanOrEqual(3 * server.partSize);
        expect(stored(server, id)).toEqual(bytes);
        expectFlow(flowOf(upload), ["idle", "uploading", "failed", "uploading", "completed"]);
      } else {
        await upload.cancel();
        expect(upload.snapshot.status).toBe("cancelled");
        expect(server.uploads.get(id)!.state).toBe("CANCELLED");
        expectFlow(flowOf(upload), ["idle", "uploading", "failed", "cancelled"]);
      }
    }
  });
});
