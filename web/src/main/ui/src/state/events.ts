import type { Connection, StreamControl } from "../api/connection";
import type { RelayEvent } from "../api/wire";
import type { Chat } from "./chat";
import type { People } from "./people";
import type { Transfers } from "./transfers";

/** The parts of the state that events change, and what the stream needs besides. */
export interface EventTargets {
  me(): string | undefined;
  people: People;
  chat: Chat;
  transfers: Transfers;
  changed(): void;
  /** RESYNC: the service cannot replay what was missed; everything is loaded again. */
  resync(): void;
  /** Someone joined or left the people list (the presence watch follows it). */
  listChanged?(): void;
}

/**
 * The `events` stream: opened on every connection, from the last event seen (`since`) so that a reconnect loses
 * nothing, and each event applied to the part of the state it concerns.
 */
export class EventStream {
  private lastEventId?: number;
  private control?: StreamControl;

  constructor(private readonly targets: EventTargets) {}

  open(connection: Connection): void {
    this.control?.cancel();
    this.control = connection.stream<RelayEvent>("events", this.lastEventId !== undefined ? { since: this.lastEventId } : undefined, {
      onNext: (event) => this.apply(event),
      onComplete: () => {},
      onError: (error) => {
        // A stalled stream (INVALID_STATE) is reopened from the last event; a lost connection reconnects anyway.
        if (error.code !== "CONNECTION_CLOSED" && !connection.closed) {
          setTimeout(() => this.open(connection), 500);
        }
      },
    });
  }

  stop(): void {
    this.control?.cancel();
  }

  /** Logging out: the next session's stream starts afresh. */
  reset(): void {
    this.lastEventId = undefined;
  }

  private apply(event: RelayEvent): void {
    if (event.id !== undefined && event.id !== null) this.lastEventId = event.id;
    const { people, chat, transfers } = this.targets;
    switch (event.type) {
      case "MESSAGE":
      case "MESSAGE_UPDATED": {
        const message = event.message!;
        chat.received(message, event.type === "MESSAGE");
        if (message.file && event.type === "MESSAGE_UPDATED") transfers.fileUpdated(message.file);
        break;
      }
      case "READ":
        chat.read(event.read!);
        break;
      case "PRESENCE":
      case "USER": {
        const user = event.user!;
        if (user.id === this.targets.me()) break;
        const listed = people.users.has(user.id);
        people.update(user);
        chat.peerChanged(user);
        if (listed !== people.users.has(user.id)) this.targets.listChanged?.();
        break;
      }
      case "TRANSFER":
        transfers.progressed(event.transfer!);
        break;
      case "RESYNC":
        this.targets.resync();
        break;
    }
    this.targets.changed();
  }
}
