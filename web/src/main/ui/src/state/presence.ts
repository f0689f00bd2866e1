import type { Connection } from "../api/connection";
import type { User } from "../api/wire";
import type { People } from "./people";

/** The most users one `presence.watch` may name (the service answers INVALID_REQUEST beyond). */
export const MAX_WATCH = 500;

/**
 * The users whose presence to watch: those listed who are not conversation peers first (peers' presence comes
 * without asking, for the service's most recent 1,000 conversations), then peers, at most `max`, in a stable order.
 */
export function watchIds(people: People, peers: ReadonlySet<string>, max = MAX_WATCH): string[] {
  const listed = [...people.users.values()].filter((u) => !u.disabled).map((u) => u.id);
  const others = listed.filter((id) => !peers.has(id)).sort();
  const known = listed.filter((id) => peers.has(id)).sort();
  return [...others, ...known].slice(0, max);
}

/**
 * Keeps the service's `presence.watch` set of this connection equal to the users the app lists: PRESENCE events
 * come only for conversation peers and watched users. The set belongs to the connection, so a new connection is
 * always told; otherwise only a changed set is sent. The answer (each watched user's current state) is applied, and
 * the changes follow as events.
 */
export class PresenceWatch {
  private connection?: Connection;
  private sent?: string;

  constructor(
    private readonly people: People,
    private readonly peers: () => ReadonlySet<string>,
    private readonly apply: (user: User) => void,
  ) {}

  async sync(connection: Connection): Promise<void> {
    const ids = watchIds(this.people, this.peers());
    const key = [...ids].sort().join(",");
    if (connection === this.connection && key === this.sent) return;
    this.connection = connection;
    this.sent = key;
    try {
      const answer = await connection.request<{ users: User[] } | null>("presence.watch", { users: ids });
      // A later sync may have replaced the set meanwhile: its answer is the one to keep.
      if (this.connection !== connection || this.sent !== key) return;
      for (const user of answer?.users ?? []) this.apply(user);
    } catch (e) {
      if (this.connection === connection && this.sent === key) this.sent = undefined;
      throw e;
    }
  }

  reset(): void {
    this.connection = undefined;
    this.sent = undefined;
  }
}
