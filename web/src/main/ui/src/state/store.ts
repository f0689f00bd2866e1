import { collect, type Connection } from "../api/connection";
import { humanMessage } from "../api/errors";
import type { Conversation, User } from "../api/wire";
import { Admin } from "./admin";
import { Chat } from "./chat";
import { EventStream } from "./events";
import { Notices } from "./notices";
import { People } from "./people";
import { PresenceWatch } from "./presence";
import type { StoreServices } from "./services";
import { Session } from "./session";
import { Transfers } from "./transfers";
import { Uploads } from "./uploads";

/**
 * The app's state and everything that talks to the service, one part per concern: the session, people, chat,
 * this tab's uploads, the other transfers (progress and downloads), administration, notices, and the event stream
 * that keeps them live. React components read it through useApp() and call the parts' methods; every change
 * re-renders the subscribers. Transfer progress is read from the controllers directly (it changes many times a
 * second).
 */
export class AppStore {
  readonly notices = new Notices(() => this.changed());
  readonly session: Session;
  readonly people = new People();
  readonly chat: Chat;
  readonly uploads: Uploads;
  readonly transfers: Transfers;
  readonly admin = new Admin(() => this.connection());

  private readonly events: EventStream;
  private readonly presence: PresenceWatch;
  private version = 0;
  private readonly listeners = new Set<() => void>();
  private connectedBefore = false;

  constructor() {
    this.session = new Session({
      changed: () => this.changed(),
      connected: (connection) => void this.onConnected(connection),
      ended: (reason) => this.logout(reason),
    });
    const services: StoreServices = {
      changed: () => this.changed(),
      notify: (severity, text) => this.notices.notify(severity, text),
      connection: () => this.connection(),
    };
    const me = () => this.session.me?.id;
    this.chat = new Chat(services, me, this.people);
    this.uploads = new Uploads(services, this.session.deps, () => this.session.auth);
    this.transfers = new Transfers(services, this.session.deps, () => this.session.auth!.token);
    this.presence = new PresenceWatch(this.people, () => new Set(this.chat.conversations.keys()), (user) => {
      if (user.id === this.session.me?.id) return;
      this.people.update(user);
      this.chat.peerChanged(user);
    });
    this.events = new EventStream({
      me,
      people: this.people,
      chat: this.chat,
      transfers: this.transfers,
      changed: () => this.changed(),
      resync: () => void this.connection().then((c) => this.onConnected(c)),
      listChanged: () => void this.watchPresence(),
    });
    this.session.restore();
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

  /** A live connection; waits while the app reconnects, rejects once logged out. */
  connection(): Promise<Connection> {
    return this.session.connection();
  }

  logout(reason?: string): void {
    this.uploads.detachAll();
    this.transfers.cancelDownloads();
    this.events.stop();
    this.session.end(reason);
    this.people.reset();
    this.chat.reset();
    this.uploads.reset();
    this.transfers.reset();
    this.events.reset();
    this.presence.reset();
    this.connectedBefore = false;
    this.changed();
  }

  /** The people list changed: the service's watch set follows it. */
  private async watchPresence(): Promise<void> {
    try {
      await this.presence.sync(await this.connection());
      this.changed();
    } catch (e) {
      this.notices.notify("error", humanMessage(e));
    }
  }

  /** Every (re)connection: the event stream from where it stopped, then who and what is there now. */
  private async onConnected(connection: Connection): Promise<void> {
    this.events.open(connection);
    const first = !this.connectedBefore;
    this.connectedBefore = true;
    try {
      const [me, users, conversations] = await Promise.all([
        connection.request<User>("users.me"),
        collect<User>(connection, "users.list"),
        collect<Conversation>(connection, "chat.list"),
      ]);
      this.session.me = me;
      this.people.load(me, users, conversations);
      this.chat.load(conversations);
      this.changed();
      // Presence of the listed users who are not conversation peers comes only once watched.
      await this.presence.sync(connection).then(() => this.changed(), (e) => this.notices.notify("error", humanMessage(e)));
      if (first) await this.uploads.loadOffers(connection);
      // After a reconnect, the open conversation catches up on what replay cannot give (live-only progress).
      else if (this.chat.activePeer) void this.chat.refreshHistory(this.chat.activePeer);
    } catch (e) {
      this.notices.notify("error", humanMessage(e));
    }
  }
}
