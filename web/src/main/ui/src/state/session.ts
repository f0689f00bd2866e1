import { sleep, type Connection } from "../api/connection";
import { RelayError, humanMessage } from "../api/errors";
import * as http from "../api/http";
import { ConnectionManager, type ConnectionStatus } from "../api/manager";
import { connectRSocket, rsocketUrl } from "../api/rsocket";
import type { AuthToken, User } from "../api/wire";
import type { TransferDeps } from "../transfer/upload";

const SESSION_KEY = "relay.session";

export interface SessionHooks {
  changed(): void;
  /** Every (re)connection of the session's connection. */
  connected(connection: Connection): void;
  /** The token expired or the service refused it: the app logs out, telling the user why. */
  ended(reason: string): void;
}

/**
 * Who is logged in, and the connection that goes with it: the token (kept in localStorage, so that a reload stays
 * logged in), the connection manager that keeps one RSocket connection open with it, and the expiry timer.
 */
export class Session {
  auth: AuthToken | null = null;
  me?: User;
  /** Why the previous session ended, for the login page. */
  logoutReason?: string;
  manager?: ConnectionManager;
  private expiryTimer?: ReturnType<typeof setTimeout>;

  /** Controllers wait here while the app reconnects. */
  readonly deps: TransferDeps = {
    connection: () => (this.manager ? this.manager.connection() : Promise.reject(new RelayError("CONNECTION_CLOSED", "Logged out."))),
    sleep,
    now: () => performance.now(),
  };

  constructor(private readonly hooks: SessionHooks) {}

  get connectionStatus(): ConnectionStatus {
    return this.manager?.status ?? "stopped";
  }

  connection(): Promise<Connection> {
    return this.deps.connection();
  }

  /** Takes up the session an earlier page load saved, unless it is about to expire. */
  restore(): void {
    const saved = localStorage.getItem(SESSION_KEY);
    if (!saved) return;
    try {
      const session = JSON.parse(saved) as AuthToken;
      if (Date.parse(session.expiresAt) > Date.now() + 5000) this.begin(session);
      else localStorage.removeItem(SESSION_KEY);
    } catch {
      localStorage.removeItem(SESSION_KEY);
    }
  }

  async login(username: string, password: string, register: boolean, invite?: string): Promise<void> {
    const session = register ? await http.register(username, password, invite) : await http.login(username, password);
    localStorage.setItem(SESSION_KEY, JSON.stringify(session));
    this.logoutReason = undefined;
    this.begin(session);
  }

  /** Closes the connection and forgets the token (the rest of the app state is reset by the store). */
  end(reason?: string): void {
    this.manager?.stop();
    this.manager = undefined;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    localStorage.removeItem(SESSION_KEY);
    this.auth = null;
    this.me = undefined;
    this.logoutReason = reason;
  }

  private begin(session: AuthToken): void {
    this.auth = session;
    this.me = { id: session.userId, username: session.username, displayName: session.username, role: session.role, online: true, disabled: false };
    const token = session.token;
    const manager = new ConnectionManager(() => connectRSocket(rsocketUrl(), token));
    this.manager = manager;
    manager.subscribe(() => {
      if (manager !== this.manager) return;
      if (manager.status === "unauthorized") {
        this.hooks.ended(manager.lastError?.code === "USER_DISABLED" ? humanMessage(manager.lastError) : "Your session has ended. Please log in again.");
        return;
      }
      this.hooks.changed();
    });
    manager.onConnected((connection) => {
      if (manager === this.manager) this.hooks.connected(connection);
    });
    manager.start();
    const left = Date.parse(session.expiresAt) - Date.now();
    // setTimeout's limit is 2^31-1 ms (~24 days); tokens live hours.
    this.expiryTimer = setTimeout(() => this.hooks.ended("Your session expired. Please log in again."), Math.min(left, 2 ** 31 - 1));
    this.hooks.changed();
  }
}
