import type { Connection } from "./connection";
import { RelayError } from "./errors";
import { Backoff } from "../transfer/backoff";

export type ConnectionStatus = "connecting" | "online" | "reconnecting" | "stopped" | "unauthorized";

export interface ManagerOptions {
  backoff?: Backoff;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Keeps one RSocket connection open: connects, and after a loss reconnects with backoff until stopped. Callers
 * ask for `connection()` and wait while there is none. A refused token (UNAUTHENTICATED, USER_DISABLED) stops it:
 * the user must log in again.
 */
export class ConnectionManager {
  private current?: Connection;
  private waiters: Array<{ resolve: (c: Connection) => void; reject: (e: RelayError) => void }> = [];
  private readonly listeners = new Set<() => void>();
  private readonly connectedListeners = new Set<(c: Connection) => void>();
  private readonly backoff: Backoff;
  private readonly sleep: (ms: number) => Promise<void>;
  private stopped = false;
  private wakeUp?: () => void;
  status: ConnectionStatus = "connecting";
  lastError?: RelayError;
  /** When the next attempt starts (for a countdown), while reconnecting. */
  nextAttemptAt?: number;

  constructor(
    private readonly connect: () => Promise<Connection>,
    options: ManagerOptions = {},
  ) {
    this.backoff = options.backoff ?? new Backoff(500, 8000);
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  start(): void {
    void this.loop();
  }

  /** The open connection, or the next one. Rejects once the manager stopped. */
  connection(): Promise<Connection> {
    if (this.current && !this.current.closed) return Promise.resolve(this.current);
    if (this.stopped) return Promise.reject(this.lastError ?? new RelayError("CONNECTION_CLOSED", "Disconnected."));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Called on every (re)connection, e.g. to reopen the event stream. */
  onConnected(listener: (c: Connection) => void): () => void {
    this.connectedListeners.add(listener);
    if (this.current && !this.current.closed) listener(this.current);
    return () => this.connectedListeners.delete(listener);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Skip the wait and try again now (the "retry now" button, or the browser going online). */
  retryNow(): void {
    this.wakeUp?.();
  }

  stop(): void {
    this.stopped = true;
    this.current?.close();
    this.current = undefined;
    this.setStatus("stopped");
    this.wakeUp?.();
    const error = new RelayError("CONNECTION_CLOSED", "Disconnected.");
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let connection: Connection;
      try {
        connection = await this.connect();
      } catch (e) {
        const error = RelayError.from(e);
        this.lastError = error;
        if (error.code === "UNAUTHENTICATED" || error.code === "USER_DISABLED") {
          this.stopped = true;
          this.setStatus("unauthorized");
          for (const waiter of this.waiters.splice(0)) waiter.reject(error);
          return;
        }
        await this.waitBeforeRetry();
        continue;
      }
      if (this.stopped) {
        connection.close();
        return;
      }
      this.backoff.reset();
      this.current = connection;
      this.lastError = undefined;
      const closed = new Promise<RelayError | undefined>((resolve) => connection.onClose(resolve));
      this.setStatus("online");
      for (const listener of [...this.connectedListeners]) listener(connection);
      for (const waiter of this.waiters.splice(0)) waiter.resolve(connection);
      const reason = await closed;
      this.current = undefined;
      if (this.stopped) return;
      this.lastError = reason ?? new RelayError("CONNECTION_CLOSED", "The connection was closed.");
      // The server closes connections of a revoked token (disabled user, changed password) with an error.
      if (reason && (reason.code === "UNAUTHENTICATED" || reason.code === "USER_DISABLED")) {
        this.stopped = true;
        this.setStatus("unauthorized");
        return;
      }
      this.setStatus("reconnecting");
      // A first, short wait: a restarting server is usually back within a second or two.
      await this.waitBeforeRetry();
    }
  }

  private async waitBeforeRetry(): Promise<void> {
    const delay = this.backoff.next();
    this.nextAttemptAt = Date.now() + delay;
    this.setStatus("reconnecting");
    await Promise.race([this.sleep(delay), new Promise<void>((resolve) => (this.wakeUp = resolve))]);
    this.wakeUp = undefined;
    this.nextAttemptAt = undefined;
  }

  private setStatus(status: ConnectionStatus): void {
    this.status = status;
    for (const listener of [...this.listeners]) listener();
  }
}
