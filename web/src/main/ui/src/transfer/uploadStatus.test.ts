import { describe, expect, it } from "vitest";
import { IllegalUploadTransition, TRANSITIONS, canMoveTo, checkTransition, isFinal, successors, type UploadStatus } from "./uploadStatus";

const ALL: UploadStatus[] = ["idle", "uploading", "paused", "reconnecting", "completed", "failed", "cancelled"];
/** The statuses in which the upload is open on the server and this tab is working on it. */
const RUNNING: UploadStatus[] = ["uploading", "paused", "reconnecting"];

function reachableFrom(start: UploadStatus): Set<UploadStatus> {
  const seen = new Set<UploadStatus>([start]);
  const queue = [start];
  while (queue.length) {
    for (const next of successors(queue.shift()!)) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

describe("upload status transitions", () => {
  it("has an entry for every status and names only statuses, each at most once", () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...ALL].sort());
    for (const status of ALL) {
      for (const next of successors(status)) expect(ALL).toContain(next);
      expect(new Set(successors(status)).size).toBe(successors(status).length);
    }
  });

  it("has exactly two final statuses, completed and cancelled, with no successors", () => {
    expect(ALL.filter(isFinal)).toEqual(["completed", "cancelled"]);
    expect(successors("completed")).toEqual([]);
    expect(successors("cancelled")).toEqual([]);
  });

  it("lets a failed upload be retried or given up, nothing else", () => {
    expect(isFinal("failed")).toBe(false);
    expect([...successors("failed")].sort()).toEqual(["cancelled", "uploading"]);
  });

  it("leaves idle only by starting or cancelling, and never returns to it", () => {
    expect([...successors("idle")].sort()).toEqual(["cancelled", "uploading"]);
    for (const status of ALL) expect(canMoveTo(status, "idle")).toBe(false);
  });

  it("does not count staying in a status as a move", () => {
    for (const status of ALL) expect(canMoveTo(status, status)).toBe(false);
  });

  it("moves freely between uploading, paused and reconnecting, and from each to every end", () => {
    for (const from of RUNNING) {
      for (const to of RUNNING) if (to !== from) expect(canMoveTo(from, to), `${from} → ${to}`).toBe(true);
      for (const end of ["completed", "failed", "cancelled"] as const) expect(canMoveTo(from, end), `${from} → ${end}`).toBe(true);
    }
  });

  it("reaches every status from idle, and an end from every status", () => {
    expect(reachableFrom("idle")).toEqual(new Set(ALL));
    for (const status of ALL) {
      const ends = [...reachableFrom(status)].filter(isFinal);
      expect(ends.length, status).toBeGreaterThan(0);
    }
  });

  it("checkTransition passes the table's moves and throws for every other", () => {
    let refused = 0;
    for (const from of ALL) {
      for (const to of ALL) {
        if (canMoveTo(from, to)) {
          expect(() => checkTransition(from, to)).not.toThrow();
        } else {
          refused++;
          const error = (() => {
            try {
              checkTransition(from, to);
            } catch (e) {
              return e;
            }
          })();
          expect(error).toBeInstanceOf(IllegalUploadTransition);
          expect(error).toMatchObject({ from, to, message: `An upload cannot move from ${from} to ${to}.` });
        }
      }
    }
    // 49 pairs, 19 allowed moves.
    expect(refused).toBe(30);
  });
});
