import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff";
import { RateMeter, eta, formatBytes } from "./rate";
import { RelayError, humanMessage, isRetriable } from "../api/errors";

describe("Backoff", () => {
  it("doubles up to the cap with jitter in the upper half, and resets", () => {
    const top = new Backoff(100, 1000, () => 1);
    expect([top.next(), top.next(), top.next(), top.next(), top.next()]).toEqual([100, 200, 400, 800, 1000]);
    const bottom = new Backoff(100, 1000, () => 0);
    expect([bottom.next(), bottom.next()]).toEqual([50, 100]);
    top.reset();
    expect(top.next()).toBe(100);
  });
});

describe("RateMeter", () => {
  it("measures bytes per second over its window and estimates the time left", () => {
    const meter = new RateMeter(3000);
    meter.add(0, 0);
    meter.add(1000, 1_000_000);
    expect(meter.rate(1000)).toBe(1_000_000);
    // silence counts: a paused transfer's rate falls
    expect(meter.rate(2000)).toBe(500_000);
    expect(eta(3_000_000, 1_000_000)).toBe(3);
    expect(eta(10, 0)).toBeNull();
    expect(formatBytes(50 * 1024 * 1024)).toBe("50 MiB");
  });
});

describe("errors", () => {
  it("reads the service's coded JSON and maps codes to sentences", () => {
    const e = RelayError.from(new Error('{"code":"OFFSET_MISMATCH","message":"x","offset":1048576}'));
    expect(e.code).toBe("OFFSET_MISMATCH");
    expect(e.offset).toBe(1048576);
    expect(isRetriable(e)).toBe(true);
    expect(RelayError.from(new Error("Closed. Original cause [Error: socket hang up].")).code).toBe("CONNECTION_CLOSED");
    expect(isRetriable(new RelayError("QUOTA_EXCEEDED", ""))).toBe(false);
    expect(humanMessage(new RelayError("QUOTA_EXCEEDED", "raw"))).toMatch(/quota/i);
    expect(humanMessage(new RelayError("FILE_TOO_LARGE", "raw"))).toMatch(/larger/);
    expect(humanMessage(new RelayError("USER_DISABLED", "raw"))).toMatch(/disabled/);
    expect(humanMessage(new RelayError("UNREACHABLE", "raw"))).toMatch(/reach the server/);
  });
});
