import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Connection, StreamHandlers } from "../api/connection";
import type { Message, RelayEvent, User } from "../api/wire";
import { Chat } from "./chat";
import { EventStream } from "./events";
import { People } from "./people";
import type { StoreServices } from "./services";
import { Transfers } from "./transfers";

const ME = "me";
const alice: User = { id: "alice", username: "alice", displayName: "Alice", role: "USER", online: false, disabled: false };

/** A connection that hands out the `events` stream's handlers and records requests. */
function eventsConnection() {
  const opened: Array<{ data: unknown; handlers: StreamHandlers<RelayEvent> }> = [];
  const requests: Array<[string, unknown]> = [];
  const connection = {
    closed: false,
    request: async (route: string, data?: unknown) => {
      requests.push([route, data]);
      return null;
    },
    stream: (_route: string, data: unknown, handlers: StreamHandlers<RelayEvent>) => {
      opened.push({ data, handlers });
      return { request: () => {}, cancel: () => {} };
    },
    channel: () => {
      throw new Error("no channels here");
    },
    onClose: () => () => {},
    close: () => {},
  } as unknown as Connection;
  const emit = (event: Omit<RelayEvent, "at">) => opened[opened.length - 1].handlers.onNext({ at: "", ...event }, false);
  return { connection, opened, requests, emit };
}

function message(id: number, from: string, to: string, extra: Partial<Message> = {}): Message {
  return { id, from, to, kind: "TEXT", text: `m${id}`, deleted: false, sentAt: "", ...extra };
}

function setup() {
  const { connection, opened, requests, emit } = eventsConnection();
  let changes = 0;
  let resyncs = 0;
  let listChanges = 0;
  const services: StoreServices = { changed: () => changes++, notify: () => {}, connection: async () => connection };
  const people = new People();
  const me = () => ME;
  const chat = new Chat(services, me, people);
  const deps = { connection: services.connection, sleep: async () => {}, now: () => 0 };
  const transfers = new Transfers(services, deps, () => "token");
  const stream = new EventStream({ me, people, chat, transfers, changed: services.changed, resync: () => resyncs++, listChanged: () => listChanges++ });
  people.load({ ...alice, id: ME }, [alice], [{ peer: alice, lastMessage: null, unread: 0 }]);
  chat.load([{ peer: alice, lastMessage: null, unread: 0 }]);
  chat.histories.set(alice.id, { messages: [message(1, ME, alice.id)], loading: false, hasMore: false, loaded: true });
  stream.open(connection);
  return { people, chat, transfers, stream, connection, opened, requests, emit, changes: () => changes, resyncs: () => resyncs, listChanges: () => listChanges };
}

describe("EventStream", () => {
  beforeEach(() => vi.stubGlobal("document", { visibilityState: "visible" }));
  afterEach(() => vi.unstubAllGlobals());

  it("adds a message from a peer to the history and counts it unread while the conversation is closed", () => {
    const { chat, emit, requests, changes } = setup();
    emit({ id: 1, type: "MESSAGE", message: message(2, alice.id, ME) });
    expect(chat.histories.get(alice.id)!.messages.map((m) => m.id)).toEqual([1, 2]);
    expect(chat.conversations.get(alice.id)!.unread).toBe(1);
    expect(chat.conversations.get(alice.id)!.lastMessage!.id).toBe(2);
    expect(requests).toEqual([]);
    expect(changes()).toBe(1);
  });

  it("marks a message read at once when its conversation is open and visible", async () => {
    const { chat, emit, requests } = setup();
    chat.activePeer = alice.id;
    emit({ id: 1, type: "MESSAGE", message: message(2, alice.id, ME) });
    await Promise.resolve();
    await Promise.resolve();
    expect(chat.conversations.get(alice.id)!.unread).toBe(0);
    expect(requests).toEqual([["chat.alice.read", { messageId: 2 }]]);
  });

  it("keeps the newest message as the conversation's last when an older one is updated", () => {
    const { chat, emit } = setup();
    emit({ id: 1, type: "MESSAGE", message: message(5, alice.id, ME) });
    emit({ id: 2, type: "MESSAGE_UPDATED", message: message(2, alice.id, ME, { deleted: true }) });
    expect(chat.conversations.get(alice.id)!.lastMessage!.id).toBe(5);
    expect(chat.conversations.get(alice.id)!.unread).toBe(1);
    expect(chat.histories.get(alice.id)!.messages.find((m) => m.id === 2)!.deleted).toBe(true);
  });

  it("follows a file's progress from TRANSFER events and its state from MESSAGE_UPDATED", () => {
    const { transfers, emit } = setup();
    const progress = { uploadId: "u1", messageId: 3, from: alice.id, to: ME, state: "ACTIVE" as const, received: 100, offset: 0, size: 1000 };
    emit({ id: 1, type: "TRANSFER", transfer: progress });
    expect(transfers.progress.get("u1")).toEqual(progress);
    const file = { uploadId: "u1", name: "f", size: 1000, state: "PAUSED" as const, offset: 64 };
    emit({ id: 2, type: "MESSAGE_UPDATED", message: message(3, alice.id, ME, { kind: "FILE", file }) });
    expect(transfers.progress.get("u1")).toEqual({ ...progress, state: "PAUSED", offset: 64 });
  });

  it("applies read markers: mine set my unread count, a peer's say how far my messages were seen", () => {
    const { chat, emit } = setup();
    emit({ id: 1, type: "MESSAGE", message: message(2, alice.id, ME) });
    emit({ id: 2, type: "READ", read: { reader: ME, peer: alice.id, messageId: 2, unread: 0 } });
    expect(chat.conversations.get(alice.id)!.unread).toBe(0);
    emit({ id: 3, type: "READ", read: { reader: alice.id, peer: ME, messageId: 1, unread: 0 } });
    emit({ id: 4, type: "READ", read: { reader: alice.id, peer: ME, messageId: 0, unread: 0 } });
    expect(chat.peerRead.get(alice.id)).toBe(1);
  });

  it("updates presence in the people list and the conversation, and drops a disabled user from the list", () => {
    const { people, chat, emit } = setup();
    emit({ id: 1, type: "PRESENCE", user: { ...alice, online: true } });
    expect(people.users.get(alice.id)!.online).toBe(true);
    expect(chat.conversations.get(alice.id)!.peer.online).toBe(true);
    emit({ id: 2, type: "USER", user: { ...alice, disabled: true } });
    expect(people.users.has(alice.id)).toBe(false);
    expect(chat.conversations.get(alice.id)!.peer.disabled).toBe(true);
    emit({ id: 3, type: "PRESENCE", user: { ...alice, id: ME, online: false } });
    expect(people.users.has(ME)).toBe(false);
  });

  it("says when someone joins or leaves the people list, so the presence watch follows it", () => {
    const { emit, listChanges } = setup();
    emit({ id: null, type: "PRESENCE", user: { ...alice, online: true } });
    expect(listChanges()).toBe(0);
    emit({ id: null, type: "USER", user: { ...alice, id: "bob", username: "bob" } });
    expect(listChanges()).toBe(1);
    emit({ id: null, type: "USER", user: { ...alice, disabled: true } });
    expect(listChanges()).toBe(2);
  });

  it("loads everything again on RESYNC", () => {
    const { emit, resyncs } = setup();
    emit({ id: 1, type: "RESYNC" });
    expect(resyncs()).toBe(1);
  });

  it("reopens from the last event seen, and from the start after a reset", () => {
    const { stream, connection, opened, emit } = setup();
    expect(opened[0].data).toBeUndefined();
    emit({ id: 41, type: "TRANSFER", transfer: { uploadId: "u", messageId: 1, from: alice.id, to: ME, state: "ACTIVE", received: 0, offset: 0, size: 1 } });
    emit({ id: null, type: "PRESENCE", user: alice });
    stream.open(connection);
    expect(opened[1].data).toEqual({ since: 41 });
    stream.reset();
    stream.open(connection);
    expect(opened[2].data).toBeUndefined();
  });
});
