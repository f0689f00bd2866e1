import { describe, expect, it } from "vitest";
import type { Connection } from "../api/connection";
import { RelayError } from "../api/errors";
import type { User } from "../api/wire";
import { People } from "./people";
import { MAX_WATCH, PresenceWatch, watchIds } from "./presence";

const me: User = { id: "me", username: "me", displayName: "Me", role: "USER", online: true, disabled: false };
const user = (id: string, extra: Partial<User> = {}): User => ({ id, username: id, displayName: id.toUpperCase(), role: "USER", online: false, disabled: false, ...extra });

/** A connection that records presence.watch requests and answers from `online` (the ids it knows). */
function watchConnection(known: Map<string, User>, fail?: RelayError) {
  const requests: string[][] = [];
  const connection = {
    closed: false,
    request: async (route: string, data?: any) => {
      if (route !== "presence.watch") throw new Error(`unexpected ${route}`);
      requests.push(data.users);
      if (fail) throw fail;
      return { users: (data.users as string[]).filter((id) => known.has(id)).map((id) => known.get(id)) };
    },
    stream: () => ({ request: () => {}, cancel: () => {} }),
    channel: () => {
      throw new Error("no channels here");
    },
    onClose: () => () => {},
    close: () => {},
  } as unknown as Connection;
  return { connection, requests };
}

function setup(users: User[], peers: string[] = []) {
  const people = new People();
  people.load(me, users, []);
  const applied: User[] = [];
  const watch = new PresenceWatch(people, () => new Set(peers), (u) => {
    applied.push(u);
    people.update(u);
  });
  return { people, watch, applied };
}

describe("watchIds", () => {
  it("lists those who are not conversation peers first, then peers, never disabled users or me", () => {
    const { people } = setup([user("b"), user("a"), user("p"), user("d", { disabled: true }), me]);
    expect(watchIds(people, new Set(["p"]))).toEqual(["a", "b", "p"]);
  });

  it("is bounded to what one presence.watch may name, peers dropped first", () => {
    const many = Array.from({ length: MAX_WATCH + 20 }, (_, i) => user(`u${String(i).padStart(4, "0")}`));
    const { people } = setup(many);
    const ids = watchIds(people, new Set(["u0000"]));
    expect(ids).toHaveLength(MAX_WATCH);
    expect(ids).not.toContain("u0000");
  });
});

describe("PresenceWatch", () => {
  it("watches the listed users on a connection and applies the state the service answers", async () => {
    const { people, watch, applied } = setup([user("a"), user("b")]);
    const { connection, requests } = watchConnection(new Map([["a", user("a", { online: true })]]));
    await watch.sync(connection);
    expect(requests).toEqual([["a", "b"]]);
    expect(applied.map((u) => u.id)).toEqual(["a"]);
    expect(people.users.get("a")!.online).toBe(true);
    expect(people.users.get("b")!.online).toBe(false);
  });

  it("asks again only when the set changed, or on a new connection (the set belongs to the connection)", async () => {
    const { people, watch } = setup([user("a")]);
    const first = watchConnection(new Map());
    await watch.sync(first.connection);
    await watch.sync(first.connection);
    expect(first.requests).toHaveLength(1);
    people.update(user("c"));
    await watch.sync(first.connection);
    expect(first.requests).toEqual([["a"], ["a", "c"]]);
    const second = watchConnection(new Map());
    await watch.sync(second.connection);
    expect(second.requests).toEqual([["a", "c"]]);
    watch.reset();
    await watch.sync(second.connection);
    expect(second.requests).toHaveLength(2);
  });

  it("tries again at the next sync after a refusal", async () => {
    const { watch } = setup([user("a")]);
    const refusing = watchConnection(new Map(), new RelayError("RATE_LIMITED", "later"));
    await expect(watch.sync(refusing.connection)).rejects.toThrow("later");
    await expect(watch.sync(refusing.connection)).rejects.toThrow("later");
    expect(refusing.requests).toHaveLength(2);
  });
});
