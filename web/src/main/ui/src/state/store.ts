import { collect, sleep, type Connection, type StreamControl } from "../api/connection";
import { RelayError, humanMessage } from "../api/errors";
import * as http from "../api/http";
import { ConnectionManager, type ConnectionStatus } from "../api/manager";
import { connectRSocket, rsocketUrl } from "../api/rsocket";
import type { AuthToken, Conversation, Message, RelayEvent, TransferProgress, UploadInfo, User } from "../api/wire";
import { DownloadController, MemorySink, type ByteSink } from "../transfer/download";
import { PendingUploads, sameFile, type PendingUpload } from "../transfer/pending";
import { UploadController, fileSource, type TransferDeps } from "../transfer/upload";

const SESSION_KEY = "relay.session";
const PAGE = 50;

export interface Notice {
  id: number;
  severity: "error" | "warning" | "info" | "success";
  text: string;
}

export interface ChatHistory {
  messages: Message[];
  loading: boolean;
  hasMore: boolean;
  loaded: boolean;
}

export interface LocalUpload {
  key: string;
  peerId: string;
  controller: UploadController;
}

export interface PendingOffer extends PendingUpload {
  info: UploadInfo;
}

/**
 * The app's state and everything that talks to the service. React components read it through useApp() and call
 * its methods; transfer progress is read from the controllers directly (it changes many times a second).
 */
export class AppStore {
  session: AuthToken | null = null;
  me?: User;
  users = new Map<string, User>();
  conversations = new Map<string, Conversation>();
  histories = new Map<string, ChatHistory>();
  /** Live progress of file messages from TRANSFER events, by upload id. */
  transfers = new Map<string, TransferProgress>();
  uploads: LocalUpload[] = [];
  downloads = new Map<string, DownloadController>();
  offers: PendingOffer[] = [];
  /** Messages of mine the peer has read, up to this id. */
  peerRead = new Map<string, number>();
  activePeer: string | null = null;
  notices: Notice[] = [];
  logoutReason?: string;
  manager?: ConnectionManager;

  private version = 0;
  private readonly listeners = new Set<() => void>();
  private lastEventId?: number;
  private events?: StreamControl;
  private expiryTimer?: ReturnType<typeof setTimeout>;
  private noticeId = 0;
  private initialLoad?: Promise<void>;
  readonly pending = new PendingUploads();

  constructor() {
    const saved = localStorage.getItem(SESSION_KEY);
    if (saved) {
      try {
        const session = JSON.parse(saved) as AuthToken;
        if (Date.parse(session.expiresAt) > Date.now() + 5000) this.begin(session);
        else localStorage.removeItem(SESSION_KEY);
      } catch {
        localStorage.removeItem(SESSION_KEY);
      }
    }
  }

  // ---- subscription (useSyncExternalStore) ----

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = () => this.version;

  changed(): void {
    this.version++;
    for (const l of [...this.listeners]) l();
  }

  get connectionStatus(): ConnectionStatus {
    return this.manager?.status ?? "stopped";
  }

  notify(severity: Notice["severity"], text: string): void {
    const notice = { id: ++this.noticeId, severity, text };
    this.notices = [...this.notices, notice];
    this.changed();
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
    this.changed();
  }

  // ---- session ----

  async login(username: string, password: string, register: boolean): Promise<void> {
    const session = register ? await http.register(username, password) : await http.login(username, password);
    localStorage.setItem(SESSION_KEY, JSON.stringify(session));
    this.logoutReason = undefined;
    this.begin(session);
  }

  logout(reason?: string): void {
    for (const upload of this.uploads) upload.controller.detach();
    for (const download of this.downloads.values()) void download.cancel();
    this.events?.cancel();
    this.manager?.stop();
    this.manager = undefined;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    localStorage.removeItem(SESSION_KEY);
    Object.assign(this, {
      session: null,
      me: undefined,
      users: new Map(),
      conversations: new Map(),
      histories: new Map(),
      transfers: new Map(),
      uploads: [],
      downloads: new Map(),
      offers: [],
      peerRead: new Map(),
      activePeer: null,
      lastEventId: undefined,
      initialLoad: undefined,
      logoutReason: reason,
    });
    this.changed();
  }

  private begin(session: AuthToken): void {
    this.session = session;
    this.me = { id: session.userId, username: session.username, displayName: session.username, role: session.role, online: true, disabled: false };
    const token = session.token;
    const manager = new ConnectionManager(() => connectRSocket(rsocketUrl(), token));
    this.manager = manager;
    manager.subscribe(() => {
      if (manager !== this.manager) return;
      if (manager.status === "unauthorized") {
        this.logout(manager.lastError?.code === "USER_DISABLED" ? humanMessage(manager.lastError) : "Your session has ended. Please log in again.");
        return;
      }
      this.changed();
    });
    manager.onConnected((connection) => {
      if (manager === this.manager) void this.onConnected(connection);
    });
    manager.start();
    const left = Date.parse(session.expiresAt) - Date.now();
    // setTimeout's limit is 2^31-1 ms (~24 days); tokens live hours.
    this.expiryTimer = setTimeout(() => this.logout("Your session expired. Please log in again."), Math.min(left, 2 ** 31 - 1));
    this.changed();
  }

  /** Controllers wait here while the app reconnects. */
  readonly deps: TransferDeps = {
    connection: () => (this.manager ? this.manager.connection() : Promise.reject(new RelayError("CONNECTION_CLOSED", "Logged out."))),
    sleep,
    now: () => performance.now(),
  };

  connection(): Promise<Connection> {
    return this.deps.connection();
  }

  private async onConnected(connection: Connection): Promise<void> {
    this.openEvents(connection);
    const first = !this.initialLoad;
    this.initialLoad ??= Promise.resolve();
    try {
      const [me, users, conversations] = await Promise.all([
        connection.request<User>("users.me"),
        collect<User>(connection, "users.list"),
        collect<Conversation>(connection, "chat.list"),
      ]);
      this.me = me;
      this.users = new Map(users.filter((u) => u.id !== me.id).map((u) => [u.id, u]));
      this.conversations = new Map(conversations.map((c) => [c.peer.id, c]));
      for (const c of conversations) if (!this.users.has(c.peer.id) && !c.peer.disabled) this.users.set(c.peer.id, c.peer);
      this.changed();
      if (first) await this.loadOffers(connection);
      // After a reconnect, the open conversation catches up on what replay cannot give (live-only progress).
      else if (this.activePeer) void this.refreshHistory(this.activePeer);
    } catch (e) {
      this.notify("error", humanMessage(e));
    }
  }

  // ---- events ----

  private openEvents(connection: Connection): void {
    this.events?.cancel();
    this.events = connection.stream<RelayEvent>("events", this.lastEventId !== undefined ? { since: this.lastEventId } : undefined, {
      onNext: (event) => this.onEvent(event),
      onComplete: () => {},
      onError: (error) => {
        // A stalled stream (INVALID_STATE) is reopened from the last event; a lost connection reconnects anyway.
        if (error.code !== "CONNECTION_CLOSED" && !connection.closed) {
          setTimeout(() => this.openEvents(connection), 500);
        }
      },
    });
  }

  private onEvent(event: RelayEvent): void {
    if (event.id !== undefined && event.id !== null) this.lastEventId = event.id;
    const me = this.me?.id;
    switch (event.type) {
      case "MESSAGE":
      case "MESSAGE_UPDATED": {
        const message = event.message!;
        const peer = message.from === me ? message.to : message.from;
        this.upsertMessage(peer, message);
        const conversation = this.conversations.get(peer);
        const isLatest = !conversation?.lastMessage || conversation.lastMessage.id <= message.id;
        const fromPeer = message.from !== me;
        const unreadBump = event.type === "MESSAGE" && fromPeer && !(this.activePeer === peer && document.visibilityState === "visible");
        this.conversations.set(peer, {
          peer: conversation?.peer ?? this.users.get(peer) ?? placeholderUser(peer),
          lastMessage: isLatest ? message : conversation?.lastMessage,
          unread: (conversation?.unread ?? 0) + (unreadBump ? 1 : 0),
        });
        if (event.type === "MESSAGE" && fromPeer && this.activePeer === peer && document.visibilityState === "visible") {
          void this.markRead(peer, message.id);
        }
        if (message.file && event.type === "MESSAGE_UPDATED") {
          const t = this.transfers.get(message.file.uploadId);
          if (t) this.transfers.set(message.file.uploadId, { ...t, state: message.file.state, offset: message.file.offset });
        }
        break;
      }
      case "READ": {
        const read = event.read!;
        if (read.reader === me) {
          const c = this.conversations.get(read.peer);
          if (c) this.conversations.set(read.peer, { ...c, unread: read.unread });
        } else {
          this.peerRead.set(read.reader, Math.max(this.peerRead.get(read.reader) ?? 0, read.messageId));
        }
        break;
      }
      case "PRESENCE":
      case "USER": {
        const user = event.user!;
        if (user.id === me) break;
        if (user.disabled) this.users.delete(user.id);
        else this.users.set(user.id, { ...this.users.get(user.id), ...user });
        const c = this.conversations.get(user.id);
        if (c) this.conversations.set(user.id, { ...c, peer: { ...c.peer, ...user } });
        break;
      }
      case "TRANSFER": {
        const t = event.transfer!;
        this.transfers.set(t.uploadId, t);
        break;
      }
      case "RESYNC":
        void this.connection().then((c) => this.onConnected(c));
        break;
    }
    this.changed();
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

  // ---- chat ----

  openConversation(peer: string | null): void {
    this.activePeer = peer;
    this.changed();
    if (!peer) return;
    const history = this.histories.get(peer);
    if (!history?.loaded) void this.loadOlder(peer);
    else this.markLatestRead(peer);
  }

  async loadOlder(peer: string): Promise<void> {
    const history = this.histories.get(peer) ?? { messages: [], loading: false, hasMore: true, loaded: false };
    if (history.loading || (history.loaded && !history.hasMore)) return;
    this.histories.set(peer, { ...history, loading: true });
    this.changed();
    try {
      const connection = await this.connection();
      const before = history.messages[0]?.id;
      const page = await collect<Message>(connection, `chat.${peer}.history`, before !== undefined ? { before, limit: PAGE } : { limit: PAGE });
      const current = this.histories.get(peer)!;
      const known = new Set(current.messages.map((m) => m.id));
      const messages = [...page.filter((m) => !known.has(m.id)), ...current.messages].sort((a, b) => a.id - b.id);
      this.histories.set(peer, { messages, loading: false, hasMore: page.length >= PAGE, loaded: true });
      this.changed();
      if (!before) this.markLatestRead(peer);
    } catch (e) {
      const current = this.histories.get(peer)!;
      this.histories.set(peer, { ...current, loading: false });
      this.notify("error", humanMessage(e));
    }
  }

  /** Newest page again (after a reconnect): merges with what is loaded. */
  private async refreshHistory(peer: string): Promise<void> {
    try {
      const page = await collect<Message>(await this.connection(), `chat.${peer}.history`, { limit: PAGE });
      for (const m of page) this.upsertMessage(peer, m);
      this.changed();
    } catch {
      // the next reconnect tries again
    }
  }

  private markLatestRead(peer: string): void {
    const messages = this.histories.get(peer)?.messages ?? [];
    const latest = [...messages].reverse().find((m) => m.from === peer);
    if (latest && (this.conversations.get(peer)?.unread ?? 0) > 0) void this.markRead(peer, latest.id);
  }

  async markRead(peer: string, messageId: number): Promise<void> {
    try {
      await (await this.connection()).request(`chat.${peer}.read`, { messageId });
    } catch {
      // best effort: the marker moves with the next message read
    }
  }

  async sendText(peer: string, text: string): Promise<boolean> {
    try {
      const message = await (await this.connection()).request<Message>(`chat.${peer}.send`, { text });
      this.upsertMessage(peer, message);
      this.changed();
      return true;
    } catch (e) {
      this.notify("error", humanMessage(e));
      return false;
    }
  }

  async deleteMessage(peer: string, messageId: number): Promise<void> {
    try {
      await (await this.connection()).request(`chat.${peer}.delete`, { messageId });
    } catch (e) {
      this.notify("error", humanMessage(e));
    }
  }

  // ---- uploads ----

  sendFiles(peer: string, files: File[]): void {
    for (const file of files) {
      const key = `local-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const controller = new UploadController(fileSource(file), this.deps, {
        recipient: peer,
        onTicket: (ticket) => {
          void this.pending.put({
            uploadId: ticket.id,
            userId: this.session!.userId,
            recipientId: peer,
            name: file.name,
            size: file.size,
            type: file.type,
            lastModified: file.lastModified,
            maxChunkBytes: ticket.maxChunkBytes,
            createdAt: Date.now(),
            file,
          });
          this.changed();
        },
      });
      this.track(key, peer, controller);
    }
  }

  private track(key: string, peer: string, controller: UploadController): void {
    this.uploads = [...this.uploads, { key, peerId: peer, controller }];
    this.changed();
    void controller.start().then((result) => {
      if (result.status === "failed") {
        this.notify("error", `${result.name}: ${humanMessage(result.error)}`);
        // A failed create leaves no message behind: drop the card.
        if (!result.uploadId) this.uploads = this.uploads.filter((u) => u.key !== key);
      }
      if (result.uploadId && (result.status !== "failed" || !isResumable(result.error))) void this.pending.remove(result.uploadId);
      this.changed();
    });
  }

  uploadFor(uploadId: string): UploadController | undefined {
    return this.uploads.find((u) => u.controller.uploadId === uploadId)?.controller;
  }

  /** Uploads being created (no message yet) for a conversation. */
  creatingFor(peer: string): LocalUpload[] {
    return this.uploads.filter((u) => u.peerId === peer && !u.controller.uploadId);
  }

  private async loadOffers(connection: Connection): Promise<void> {
    const userId = this.session?.userId;
    if (!userId) return;
    const records = await this.pending.list(userId);
    const offers: PendingOffer[] = [];
    for (const record of records) {
      if (this.uploadFor(record.uploadId)) continue;
      try {
        const info = await connection.request<UploadInfo>(`uploads.${record.uploadId}`);
        if (info.state === "ACTIVE" || info.state === "PAUSED") offers.push({ ...record, info });
        else await this.pending.remove(record.uploadId);
      } catch (e) {
        if (RelayError.from(e).code === "NOT_FOUND") await this.pending.remove(record.uploadId);
      }
    }
    this.offers = offers;
    this.changed();
  }

  /** Continues an upload from a previous page load, with the stored file or one the user picked again. */
  continueOffer(offer: PendingOffer, picked?: File): void {
    const blob = picked ?? offer.file;
    if (!blob) return;
    if (picked && !sameFile(offer, picked)) {
      this.notify("error", `${picked.name}: ${humanMessage(new RelayError("FILE_MISMATCH", ""))}`);
      return;
    }
    if (picked) void this.pending.put({ ...offer, file: picked });
    this.offers = this.offers.filter((o) => o.uploadId !== offer.uploadId);
    const controller = new UploadController(fileSource(blob, offer.name), this.deps, {
      uploadId: offer.uploadId,
      maxChunkBytes: offer.maxChunkBytes,
    });
    this.track(`resume-${offer.uploadId}`, offer.recipientId ?? "", controller);
  }

  async discardOffer(offer: PendingOffer): Promise<void> {
    this.offers = this.offers.filter((o) => o.uploadId !== offer.uploadId);
    this.changed();
    await this.pending.remove(offer.uploadId);
    try {
      await (await this.connection()).request(`uploads.${offer.uploadId}.cancel`);
    } catch (e) {
      this.notify("error", humanMessage(e));
    }
  }

  // ---- downloads ----

  async download(uploadId: string, name: string, size: number, contentType?: string | null): Promise<void> {
    const existing = this.downloads.get(uploadId);
    if (existing && existing.snapshot.status !== "failed" && existing.snapshot.status !== "cancelled") return;
    let sink: ByteSink;
    let memory: MemorySink | undefined;
    const picker = (window as any).showSaveFilePicker as undefined | ((o: object) => Promise<any>);
    if (picker) {
      try {
        const handle = await picker({ suggestedName: name });
        const writable = await handle.createWritable();
        sink = {
          write: (chunk) => writable.write(chunk),
          close: () => writable.close(),
          abort: () => writable.abort(),
        };
      } catch (e) {
        if ((e as Error).name === "AbortError") return;
        memory = new MemorySink();
        sink = memory;
      }
    } else {
      memory = new MemorySink();
      sink = memory;
    }
    const controller = new DownloadController(uploadId, name, size, sink, this.deps);
    this.downloads.set(uploadId, controller);
    this.changed();
    const result = await controller.start();
    if (result.status === "completed" && memory) saveBlob(memory.blob(contentType ?? undefined), name);
    if (result.status === "failed") this.notify("error", `${name}: ${humanMessage(result.error)}`);
    this.changed();
  }

  /**
   * Hands the file to the browser's own download manager through a short-lived HTTP link (ranges, so the browser
   * can resume it too): the alternative to the in-app download where the File System Access API is missing.
   */
  async downloadWithBrowser(uploadId: string, name: string): Promise<void> {
    try {
      const link = await http.downloadLink(uploadId, this.session!.token);
      const a = document.createElement("a");
      a.href = link.url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
    } catch (e) {
      this.notify("error", `${name}: ${humanMessage(e)}`);
    }
  }

  // ---- admin ----

  async adminUsers(): Promise<User[]> {
    return collect<User>(await this.connection(), "admin.users.list");
  }

  async adminSetDisabled(userId: string, disabled: boolean): Promise<User> {
    return (await this.connection()).request<User>(`admin.users.${userId}.${disabled ? "disable" : "enable"}`);
  }

  async adminDeleteFile(fileId: string): Promise<void> {
    await (await this.connection()).request(`admin.files.${fileId}.delete`);
  }
}

function isResumable(error?: RelayError): boolean {
  return !!error && ["TAKEN_OVER", "FILE_CHANGED"].includes(error.code);
}

function placeholderUser(id: string): User {
  return { id, username: id.slice(0, 8), displayName: "Unknown user", role: "USER", online: false, disabled: false };
}

function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
