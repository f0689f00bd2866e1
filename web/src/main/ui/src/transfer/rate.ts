/** Throughput over a sliding window of (time, bytes) samples, and the time left at that rate. */
export class RateMeter {
  private samples: Array<[number, number]> = [];

  constructor(private readonly windowMs = 3000) {}

  add(now: number, bytes: number): void {
    this.samples.push([now, bytes]);
    while (this.samples.length > 2 && now - this.samples[0][0] > this.windowMs) this.samples.shift();
  }

  reset(): void {
    this.samples = [];
  }

  /** Bytes per second over the window; 0 when unknown. */
  rate(now: number): number {
    if (this.samples.length < 2) return 0;
    const [t0, b0] = this.samples[0];
    const [t1, b1] = this.samples[this.samples.length - 1];
    // A stalled transfer (paused) gets no new samples: count the silence since the last one.
    const span = Math.max(now, t1) - t0;
    return span > 0 ? Math.max(0, ((b1 - b0) * 1000) / span) : 0;
  }
}

/** Seconds left for `remaining` bytes at `rate` bytes/s; null when it cannot be estimated. */
export function eta(remaining: number, rate: number): number | null {
  if (remaining <= 0) return 0;
  if (rate <= 0) return null;
  return remaining / rate;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !isFinite(seconds)) return "–";
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
