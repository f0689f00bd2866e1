#!/usr/bin/env node
// The browser section's driver (bench/harness/BrowserBench.java starts it): one Debian Chromium, driven by
// playwright-core, that transfers the bench's file in the ways the harness asks for on stdin, one command a line,
// answering one line each on stdout ("ok key=value ..." or "error <why>"). Diagnostics go to stderr.
//
//   node run.mjs --base-url http://127.0.0.1:PORT --username U --password P --file F --sha256 HEX
//                [--chromium /usr/bin/chromium]
//
// At start it registers a peer to send to, starts a sink (an HTTP server that counts what is PUT to /sink and serves
// the baseline page with tus-js-client's browser bundle) and prints "ready sink=PORT". Commands (origin: where the
// page is loaded from, the service or the sink, directly or through one of the harness's delay relays):
//   app-upload origin=O             the app's own upload (store.uploads.send: UploadController over rsocket-js)
//   app-read origin=O id=I size=N   the app's in-page download (files.{id}.read, demand-driven)
//   link origin=O id=I size=N       the app's "download with the browser" link, into Chromium's download manager
//   fetch origin=O id=I size=N      a plain fetch() of GET /api/files/{id}/content, read to the end
//   xhr origin=O                    a plain XHR PUT of the file to the sink (O is the sink's origin)
//   tus origin=O endpoint=E         tus-js-client (one PATCH) from a page of the sink's origin to the tus server
//   ws origin=O                     a plain WebSocket to the sink: the File's 256 KiB slices as Blob messages, 16
//                                   unacknowledged at most (the sink acknowledges each): Chromium's own WebSocket
//                                   sending, what the app's upload runs on, without RSocket, the service or S3
//   ws-read origin=O                a plain WebSocket from the sink: the file as 256 KiB messages, as fast as the
//                                   socket takes them, counted in the page: Chromium's own WebSocket receiving
//   prepare app=O,O sink=O,O        opens (and logs in) the pages of those origins at once, untimed
// Each answers seconds=S, and for the transfers that run in the page longtasks=N longest=MS: PerformanceObserver
// 'longtask' entries (over 50 ms) that started during the transfer; app-upload also held=F, the share of its time
// the page held credit from the server that it had not used yet. BENCH_BROWSER_PROFILE=DIR in the environment: each
// app upload's and app download's JavaScript CPU profile is written there.
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { createReadStream, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const { values: opts } = parseArgs({
  options: {
    "base-url": { type: "string" },
    username: { type: "string" },
    password: { type: "string" },
    file: { type: "string" },
    sha256: { type: "string" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
  },
});
for (const name of ["base-url", "username", "password", "file", "sha256"]) {
  if (!opts[name]) {
    console.error(`usage: node run.mjs --base-url URL --username U --password P --file F --sha256 HEX (missing --${name})`);
    process.exit(2);
  }
}
const log = (line) => console.error(`[browser ${new Date().toISOString().slice(11, 23)}] ${line}`);
const size = statSync(opts.file).size;
const tusBundle = readFileSync(createRequire(import.meta.url).resolve("tus-js-client/dist/tus.min.js"));

// The baseline page: no framework, the same file input, tus-js-client loaded as a plain script.
const SINK_PAGE = `<!doctype html><meta charset="utf-8"><title>sink</title>
<input type="file" id="bench-file"><script src="/tus.min.js"></script>`;

async function startSink() {
  const server = createServer((req, res) => {
    if (req.method === "PUT" && req.url === "/sink") {
      let bytes = 0;
      req.on("data", (chunk) => (bytes += chunk.length));
      req.on("end", () => res.writeHead(200, { "content-type": "text/plain" }).end(String(bytes)));
    } else if (req.method === "GET" && req.url === "/tus.min.js") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(tusBundle);
    } else if (req.method === "GET" && req.url === "/") {
      res.writeHead(200, { "content-type": "text/html" }).end(SINK_PAGE);
    } else {
      res.writeHead(404).end();
    }
  });
  server.on("upgrade", (req, socket) => {
    const accept = createHash("sha1").update(`${req.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.setNoDelay(true);
    socket.on("error", () => {});
    if (req.url === "/ws-sink") countMessages(socket);
    else if (req.url === "/ws-source") sendFile(socket);
    else socket.destroy();
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

/** Server side of `ws`: counts the payload of the client's frames (masked, never unmasked) and acknowledges each message. */
function countMessages(socket) {
  let pending = Buffer.alloc(0); // an incomplete frame header
  let payloadLeft = 0;
  let fin = false;
  socket.on("data", (data) => {
    let at = 0;
    while (at < data.length) {
      if (payloadLeft > 0) {
        const n = Math.min(payloadLeft, data.length - at);
        payloadLeft -= n;
        at += n;
      } else {
        pending = Buffer.concat([pending, data.subarray(at)]);
        at = data.length;
        if (pending.length < 2) break;
        let length = pending[1] & 127;
        let header = 2;
        if (length === 126) [length, header] = pending.length >= 4 ? [pending.readUInt16BE(2), 4] : [-1, 0];
        else if (length === 127) [length, header] = pending.length >= 10 ? [Number(pending.readBigUInt64BE(2)), 10] : [-1, 0];
        if (length < 0 || pending.length < header + 4) break;
        fin = (pending[0] & 0x80) !== 0;
        if ((pending[0] & 0x0f) === 0x8) return socket.end();
        const rest = pending.subarray(header + 4);
        pending = Buffer.alloc(0);
        payloadLeft = length;
        data = rest;
        at = 0;
      }
      if (payloadLeft === 0 && fin) {
        fin = false;
        socket.write(Buffer.from([0x82, 1, 1]));
      }
    }
  });
}

/** Server side of `ws-read`: the file as binary messages of 256 KiB, as fast as the socket drains. */
function sendFile(socket) {
  const stream = createReadStream(opts.file, { highWaterMark: 256 * 1024 });
  stream.on("data", (chunk) => {
    const header = Buffer.alloc(10);
    header[0] = 0x82;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(chunk.length), 2);
    socket.write(header);
    if (!socket.write(chunk)) {
      stream.pause();
      socket.once("drain", () => stream.resume());
    }
  });
}

/** Registers the user the app sends its uploads to (a file message needs a recipient). */
async function registerPeer() {
  const username = `bench-peer-${Math.random().toString(36).slice(2, 10)}`;
  const response = await fetch(new URL("/api/auth/register", opts["base-url"]), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: "bench-password-1" }),
  });
  if (!response.ok) throw new Error(`registering the peer: HTTP ${response.status} ${await response.text()}`);
  const token = await response.json();
  return { username, id: token.userId };
}

// Every page records long tasks from its start; a transfer counts those that started between its two marks.
function observeLongTasks() {
  window.__benchLongTasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__benchLongTasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch {
    // no longtask support: the counts stay at zero
  }
}

const browser = await chromium.launch({
  executablePath: opts.chromium,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
});
const sink = await startSink();
const peer = await registerPeer();
/** One page per origin, each in a context of its own, kept for the whole run as a user keeps the app open. */
const pages = new Map();

function pageFor(origin, kind) {
  if (!pages.has(origin)) pages.set(origin, openPage(origin, kind));
  return pages.get(origin);
}

async function openPage(origin, kind) {
  const context = await browser.newContext({ acceptDownloads: true });
  // The in-app download then takes the Blob path (the save picker would need a person).
  await context.addInitScript(() => {
    Object.defineProperty(window, "showSaveFilePicker", { value: undefined, configurable: true });
  });
  await context.addInitScript(observeLongTasks);
  const page = await context.newPage();
  page.on("pageerror", (e) => log(`page error at ${origin}: ${e.message}`));
  await page.goto(origin);
  if (kind === "app") await logIn(page);
  await page.setInputFiles("#bench-file", opts.file);
  return page;
}

/** Logs in through the app's form, opens the conversation with the peer (its upload cards render as in use). */
async function logIn(page) {
  await page.getByRole("tab", { name: "Log in" }).click();
  await page.getByLabel("Username").fill(opts.username);
  await page.getByLabel("Password").fill(opts.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.locator("[data-testid=connection-status][data-status=online]").waitFor({ timeout: 30_000 });
  await page.getByLabel("Search people").fill(peer.username);
  await page.locator(`[data-testid=user-row][data-username="${peer.username}"]`).click();
  await page.getByRole("textbox", { name: "Message", exact: true }).waitFor();
  // A file input of our own, so that the app's input keeps its behaviour.
  await page.evaluate(() => {
    const input = document.createElement("input");
    input.type = "file";
    input.id = "bench-file";
    input.hidden = true;
    document.body.appendChild(input);
  });
}

/** Long tasks that started within [from, to] of the page's clock, after the observer has had time to report. */
async function longTasks(page, from, to) {
  await page.waitForTimeout(100);
  const tasks = await page.evaluate(([a, b]) => window.__benchLongTasks.filter(([start]) => start >= a && start <= b), [from, to]);
  return { longtasks: tasks.length, longest: tasks.reduce((m, [, d]) => Math.max(m, d), 0) };
}

/** With BENCH_BROWSER_PROFILE=DIR, each app upload's and download's JS CPU profile goes to DIR (open it in DevTools). */
async function profiled(page, name, body) {
  const dir = process.env.BENCH_BROWSER_PROFILE;
  if (!dir) return body();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.start");
  const result = await body();
  const { profile } = await cdp.send("Profiler.stop");
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/${name}-${Date.now()}.cpuprofile`, JSON.stringify(profile));
  await cdp.detach();
  return result;
}

async function appUpload({ origin }) {
  const page = await pageFor(origin, "app");
  const r = await profiled(page, `app-upload-${new URL(origin).port}`, () => page.evaluate(async (peerId) => {
    const store = window.relayStore;
    const file = document.getElementById("bench-file").files[0];
    const before = new Set(store.uploads.list.map((u) => u.key));
    // How long the page held credit it had not used yet: its own part of each turnaround (the rest is the server's
    // and the network's). Watched at the Connection boundary, for this upload's channel only.
    const connection = await store.connection();
    const channel = connection.channel;
    let credit = 0;
    let heldSince = -1;
    let held = 0;
    connection.channel = function (route, data, handlers) {
      const control = channel.call(this, route, data, {
        ...handlers,
        onRequest: (n) => {
          if (credit === 0) heldSince = performance.now();
          credit += n;
          handlers.onRequest(n);
        },
      });
      return {
        ...control,
        send: (bytes) => {
          control.send(bytes);
          if (--credit === 0) held += performance.now() - heldSince;
        },
      };
    };
    const t0 = performance.now();
    store.uploads.send(peerId, [file]);
    const upload = store.uploads.list.find((u) => !before.has(u.key));
    const done = await new Promise((resolve) => {
      const check = (s) => ["completed", "failed", "cancelled"].includes(s.status) && resolve(s);
      upload.controller.subscribe(check);
      check(upload.controller.snapshot);
    });
    delete connection.channel;
    const t1 = performance.now();
    return { t0, t1, held: held / (t1 - t0), status: done.status, error: done.error?.message, sha256: done.sha256, id: done.uploadId };
  }, peer.id));
  if (r.status !== "completed") throw new Error(`the app's upload ended ${r.status}: ${r.error}`);
  if (r.sha256 !== opts.sha256) throw new Error(`the app's upload ${r.id} has SHA-256 ${r.sha256}, not ${opts.sha256}`);
  return { seconds: (r.t1 - r.t0) / 1000, held: r.held, ...(await longTasks(page, r.t0, r.t1)) };
}

async function appRead({ origin, id, size: expected }) {
  const page = await pageFor(origin, "app");
  // The app hands the finished Blob to an <a download>: Chromium's download of it is not part of the figure.
  const saved = page.waitForEvent("download", { timeout: 600_000 }).then((d) => d.delete()).catch(() => {});
  const r = await profiled(page, `app-read-${new URL(origin).port}`, () => page.evaluate(async ([fileId, n]) => {
    const store = window.relayStore;
    const t0 = performance.now();
    await store.transfers.download(fileId, "bench.bin", n, "application/octet-stream");
    const t1 = performance.now();
    const s = store.transfers.downloads.get(fileId).snapshot;
    store.transfers.downloads.delete(fileId); // lets the Blob go
    return { t0, t1, status: s.status, received: s.received, error: s.error?.message };
  }, [id, Number(expected)]));
  await saved;
  if (r.status !== "completed" || r.received !== Number(expected)) {
    throw new Error(`the app's download ended ${r.status} after ${r.received} bytes: ${r.error}`);
  }
  return { seconds: (r.t1 - r.t0) / 1000, ...(await longTasks(page, r.t0, r.t1)) };
}

async function link({ origin, id, size: expected }) {
  const page = await pageFor(origin, "app");
  const download = page.waitForEvent("download", { timeout: 600_000 });
  const t0 = process.hrtime.bigint();
  await page.evaluate((fileId) => window.relayStore.transfers.downloadWithBrowser(fileId, "bench.bin"), id);
  const d = await download;
  const path = await d.path(); // once the download has finished
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const got = statSync(path).size;
  await d.delete();
  if (got !== Number(expected)) throw new Error(`the link's download has ${got} bytes, not ${expected}`);
  return { seconds };
}

async function plainFetch({ origin, id, size: expected }) {
  const page = await pageFor(origin, "app");
  const r = await page.evaluate(async (fileId) => {
    const token = window.relayStore.session.auth.token;
    const t0 = performance.now();
    const response = await fetch(`/api/files/${encodeURIComponent(fileId)}/content`, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) return { error: `HTTP ${response.status}` };
    const reader = response.body.getReader();
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
    }
    return { t0, t1: performance.now(), bytes };
  }, id);
  if (r.error || r.bytes !== Number(expected)) throw new Error(`fetch: ${r.error ?? `${r.bytes} bytes, not ${expected}`}`);
  return { seconds: (r.t1 - r.t0) / 1000, ...(await longTasks(page, r.t0, r.t1)) };
}

async function xhr({ origin }) {
  const page = await pageFor(origin, "sink");
  const r = await page.evaluate(async () => {
    const file = document.getElementById("bench-file").files[0];
    const t0 = performance.now();
    const answer = await new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open("PUT", "/sink");
      request.onload = () => (request.status === 200 ? resolve(request.responseText) : reject(new Error(`HTTP ${request.status}`)));
      request.onerror = () => reject(new Error("the PUT failed"));
      request.send(file);
    });
    return { t0, t1: performance.now(), bytes: Number(answer) };
  });
  if (r.bytes !== size) throw new Error(`the sink got ${r.bytes} bytes, not ${size}`);
  return { seconds: (r.t1 - r.t0) / 1000, ...(await longTasks(page, r.t0, r.t1)) };
}

async function tus({ origin, endpoint }) {
  const page = await pageFor(origin, "sink");
  const r = await page.evaluate(async (url) => {
    const file = document.getElementById("bench-file").files[0];
    const t0 = performance.now();
    await new Promise((resolve, reject) => {
      // chunkSize stays Infinity (the default): one PATCH with the whole file, as bench/tus/upload.mjs sends it.
      const upload = new window.tus.Upload(file, {
        endpoint: url,
        metadata: { filename: "bench.bin" },
        retryDelays: null,
        storeFingerprintForResuming: false,
        onError: reject,
        onSuccess: resolve,
      });
      upload.start();
    });
    return { t0, t1: performance.now() };
  }, endpoint);
  return { seconds: (r.t1 - r.t0) / 1000, ...(await longTasks(page, r.t0, r.t1)) };
}

async function wsSend({ origin }) {
  const page = await pageFor(origin, "sink");
  const r = await page.evaluate(async () => {
    const file = document.getElementById("bench-file").files[0];
    const socket = new WebSocket(new URL("/ws-sink", location.href.replace(/^http/, "ws")));
    await new Promise((resolve, reject) => ((socket.onopen = resolve), (socket.onerror = () => reject(new Error("no WebSocket")))));
    const t0 = performance.now();
    await new Promise((resolve, reject) => {
      const chunk = 256 * 1024;
      let sent = 0;
      let unacknowledged = 0;
      const pump = () => {
        for (; unacknowledged < 16 && sent < file.size; unacknowledged++, sent += chunk) socket.send(file.slice(sent, sent + chunk));
      };
      socket.onmessage = () => (--unacknowledged === 0 && sent >= file.size ? resolve() : pump());
      socket.onclose = () => reject(new Error("the WebSocket closed"));
      pump();
    });
    const t1 = performance.now();
    socket.onclose = null;
    socket.close();
    return { t0, t1 };
  });
  return { seconds: (r.t1 - r.t0) / 1000, ...(await longTasks(page, r.t0, r.t1)) };
}

async function wsRead({ origin }) {
  const page = await pageFor(origin, "sink");
  const r = await page.evaluate(async (expected) => {
    const t0 = performance.now();
    const socket = new WebSocket(new URL("/ws-source", location.href.replace(/^http/, "ws")));
    socket.binaryType = "arraybuffer";
    const bytes = await new Promise((resolve, reject) => {
      let received = 0;
      socket.onmessage = (e) => (received += e.data.byteLength) >= expected && resolve(received);
      socket.onerror = () => reject(new Error("the WebSocket failed"));
    });
    const t1 = performance.now();
    socket.close();
    return { t0, t1, bytes };
  }, size);
  if (r.bytes !== size) throw new Error(`ws-read: ${r.bytes} bytes, not ${size}`);
  return { seconds: (r.t1 - r.t0) / 1000, ...(await longTasks(page, r.t0, r.t1)) };
}

/** Opens the pages of every origin at once (their logins overlap), before anything is timed. */
async function prepare({ app = "", sink = "" }) {
  const kinds = [...app.split(",").map((o) => [o, "app"]), ...sink.split(",").map((o) => [o, "sink"])];
  await Promise.all(kinds.filter(([o]) => o).map(([o, kind]) => pageFor(o, kind)));
  return {};
}

const COMMANDS = { prepare, "app-upload": appUpload, "app-read": appRead, link, fetch: plainFetch, xhr, tus, ws: wsSend, "ws-read": wsRead };

console.log(`ready sink=${sink.address().port}`);
log(`Chromium ${browser.version()}, ${size} bytes to send, peer ${peer.username}`);
for await (const line of createInterface({ input: process.stdin })) {
  const [name, ...pairs] = line.trim().split(/\s+/);
  if (!name) continue;
  if (name === "quit") break;
  const args = Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)]));
  try {
    const command = COMMANDS[name];
    if (!command) throw new Error(`unknown command ${name}`);
    const result = await command(args);
    console.log(`ok ${Object.entries(result).map(([k, v]) => `${k}=${v}`).join(" ")}`);
  } catch (e) {
    log(`${line}: ${e?.stack ?? e}`);
    console.log(`error ${String(e?.message ?? e).replace(/\s+/g, " ")}`);
  }
}
await browser.close();
// The sink's keep-alive connections and stdin would keep Node running.
process.exit(0);
