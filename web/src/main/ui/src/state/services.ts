import type { Connection } from "../api/connection";
import type { Notice } from "./notices";

/** What every part of the app state needs from the whole: re-rendering, telling the user, and the connection. */
export interface StoreServices {
  /** Something changed: subscribed components re-render. */
  changed(): void;
  notify(severity: Notice["severity"], text: string): void;
  /** A live connection; waits while the app reconnects, rejects once logged out. */
  connection(): Promise<Connection>;
}
