/**
 * Exponential backoff with "full jitter": the n-th wait is random in [base·2ⁿ/2, base·2ⁿ], capped. Jitter keeps the
 * tabs of many users from reconnecting in lockstep after a server restart.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 300,
    private readonly maxMs = 10_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** The next delay, growing with each call until reset(). */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  /** After a success: the next failure waits the base delay again. */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
