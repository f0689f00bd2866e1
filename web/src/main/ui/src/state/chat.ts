import { collect } from "../api/connection";
import { humanMessage } from "../api/errors";
import type { Conversation, Message, ReadMarker, User } from "../api/wire";
import type { People } from "./people";
import type { StoreServices } from "./services";

const PAGE = 50;

export interface ChatHistory {
  messages: Message[];
  loading: boolean;
  hasMore: boolean;
  loaded: boolean;
}

/**
 * Conversations and their messages: each conversation's summary (peer, last message, unread count), the histories
 * loaded so far, the conversation open on screen, and up to which message each peer has read mine.
 */
export class Chat {
  conversations = new Map<string, Conversation>();
  histories = new Map<string, ChatHistory>();
  /** Messages of mine the peer has read, up to this id. */
  peerRead = new Map<string, number>();
  activePeer: string | null = null;

  constructor(
    private readonly services: StoreServices,
    private readonly me: () => string | undefined,
    private readonly people: People,
  ) {}

  /** After (re)connecting: the summaries from chat.list. */
  load(conversations: Conversation[]): void {
    this.conversations = new Map(conversations.map((c) => [c.peer.id, c]));
  }

  openConversation(peer: string | null): void {
    this.activePeer = peer;
    this.services.changed();
    if (!peer) return;
    const history = this.histories.get(peer);
    if (!history?.loaded) void this.loadOlder(peer);
    else this.markLatestRead(peer);
  }

  async loadOlder(peer: string): Promise<void> {
    const history = this.histories.get(peer) ?? { messages: [], loading: false, hasMore: true, loaded: false };
    if (history.loading || (history.loaded && !history.hasMore)) return;
    this.histories.set(peer, { ...history, loading: true });
    this.services.changed();
    try {
      const connection = await this.services.connection();
      const before = history.messages[0]?.id;
      const page = await collect<Message>(connection, `chat.${peer}.history`, before !== undefined ? { before, limit: PAGE } : { limit: PAGE });
      const current = this.histories.get(peer)!;
      const known = new Set(current.messages.map((m) => m.id));
      const messages = [...page.filter((m) => !known.has(m.id)), ...current.messages].sort((a, b) => a.id - b.id);
      this.histories.set(peer, { messages, loading: false, hasMore: page.length >= PAGE, loaded: true });
      this.services.changed();
      if (!before) this.markLatestRead(peer);
    } catch (e) {
      const current = this.histories.get(peer)!;
      this.histories.set(peer, { ...current, loading: false });
      this.services.notify("error", humanMessage(e));
    }
  }

  /** Newest page again (after a reconnect): merges with what is loaded. */
  async refreshHistory(peer: string): Promise<void> {
    try {
      const page = await collect<Message>(await this.services.connection(), `chat.${peer}.history`, { limit: PAGE });
      for (const m of page) this.upsertMessage(peer, m);
      this.services.changed();
    } catch {
      // the next reconnect tries again
    }
  }

  async markRead(peer: string, messageId: number): Promise<void> {
    try {
      await (await this.services.connection()).request(`chat.${peer}.read`, { messageId });
    } catch {
      // best effort: the marker moves with the next message read
    }
  }

  async sendText(peer: string, text: string): Promise<boolean> {
    try {
      const message = await (await this.services.connection()).request<Message>(`chat.${peer}.send`, { text });
      this.upsertMessage(peer, message);
      this.services.changed();
      return true;
    } catch (e) {
      this.services.notify("error", humanMessage(e));
      return false;
    }
  }

  async deleteMessage(peer: string, messageId: number): Promise<void> {
    try {
      await (await this.services.connection()).request(`chat.${peer}.delete`, { messageId });
    } catch (e) {
      this.services.notify("error", humanMessage(e));
    }
  }

  // ---- from the event stream ----

  /** A message sent or received (`isNew`: a MESSAGE event), or a change to one (MESSAGE_UPDATED). */
  received(message: Message, isNew: boolean): void {
    const me = this.me();
    const peer = message.from === me ? message.to : message.from;
    this.upsertMessage(peer, message);
    const conversation = this.conversations.get(peer);
    const isLatest = !conversation?.lastMessage || conversation.lastMessage.id <= message.id;
    const fromPeer = message.from !== me;
    const unreadBump = isNew && fromPeer && !(this.activePeer === peer && document.visibilityState === "visible");
    this.conversations.set(peer, {
      peer: conversation?.peer ?? this.people.users.get(peer) ?? placeholderUser(peer),
      lastMessage: isLatest ? message : conversation?.lastMessage,
      unread: (conversation?.unread ?? 0) + (unreadBump ? 1 : 0),
    });
    if (isNew && fromPeer && this.activePeer === peer && document.visibilityState === "visible") {
      void this.markRead(peer, message.id);
    }
  }

  /** A READ event: my unread count in a conversation, or how far a peer has read mine. */
  read(read: ReadMarker): void {
    if (read.reader === this.me()) {
      const c = this.conversations.get(read.peer);
      if (c) this.conversations.set(read.peer, { ...c, unread: read.unread });
    } else {
      this.peerRead.set(read.reader, Math.max(this.peerRead.get(read.reader) ?? 0, read.messageId));
    }
  }

  /** A PRESENCE or USER event about a peer. */
  peerChanged(user: User): void {
    const c = this.conversations.get(user.id);
    if (c) this.conversations.set(user.id, { ...c, peer: { ...c.peer, ...user } });
  }

  reset(): void {
    this.conversations = new Map();
    this.histories = new Map();
    this.peerRead = new Map();
    this.activePeer = null;
  }

  private markLatestRead(peer: string): void {
    const messages = this.histories.get(peer)?.messages ?? [];
    const latest = [...messages].reverse().find((m) => m.from === peer);
    if (latest && (this.conversations.get(peer)?.unread ?? 0) > 0) void this.markRead(peer, latest.id);
  }

  private upsertMessage(peer: string, message: Message): void {
    const history = this.histories.get(peer);
    if (!history) return;
    const index = history.messages.findIndex((m) => m.id === message.id);
    const messages = [...history.messages];
    if (index >= 0) messages[index] = message;
    else {
      messages.push(message);
      messages.sort((a, b) => a.id - b.id);
    }
    this.histories.set(peer, { ...history, messages });
  }
}

function placeholderUser(id: string): User {
  return { id, username: id.slice(0, 8), displayName: "Unknown user", role: "USER", online: false, disabled: false };
}
