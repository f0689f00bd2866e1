import type { Conversation, User } from "../api/wire";

/** Everyone else this account can talk to, with their presence (kept live by the event stream). */
export class People {
  users = new Map<string, User>();

  /** After (re)connecting: users.list without me, plus the peers of conversations it does not list. */
  load(me: User, users: User[], conversations: Conversation[]): void {
    this.users = new Map(users.filter((u) => u.id !== me.id).map((u) => [u.id, u]));
    for (const c of conversations) if (!this.users.has(c.peer.id) && !c.peer.disabled) this.users.set(c.peer.id, c.peer);
  }

  /** PRESENCE and USER events: a disabled user disappears from the list. */
  update(user: User): void {
    if (user.disabled) this.users.delete(user.id);
    else this.users.set(user.id, { ...this.users.get(user.id), ...user });
  }

  reset(): void {
    this.users = new Map();
  }
}
