#!/usr/bin/env node
// End-to-end tests of the browser app in a real headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core; no browser is downloaded). Started by BrowserEndToEndIntegrationTests with the service's URL;
// for the restart scenario that test kills and restarts the service when this script prints RELAY_E2E_RESTART, and
// answers RESTARTED on stdin.
//
//   node e2e/run.mjs --base-url http://127.0.0.1:8080 [--screenshots DIR] [--restart-control] [--headed]

import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, mkdir, readFile, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const MiB = 1024 * 1024;
const FILE_SIZE = 50 * MiB;
/** Uploads are capped (uploads.{id}.limit) so that there is time to pause, reload or restart mid-upload. */
const PACE = 8 * MiB;

const { values: opts } = parseArgs({
  options: {
    "base-url": { type: "string" },
    screenshots: { type: "string" },
    "restart-control": { type: "boolean", default: false },
    // The service's setup token (logged at its first start): the first user registers with it as administrator.
    "setup-token": { type: "string" },
    headed: { type: "boolean", default: false },
  },
});
if (!opts["base-url"]) {
  console.error("usage: node e2e/run.mjs --base-url http://127.0.0.1:8080 [--screenshots DIR] [--restart-control]");
  process.exit(2);
}
const base = opts["base-url"];
const results = [];
const log = (line) => console.log(`[e2e ${new Date().toISOString().slice(11, 23)}] ${line}`);

let stdinLines;
function nextStdinLine() {
  stdinLines ??= createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  return stdinLines.next().then((r) => r.value);
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

async function screenshot(page, name) {
  if (!opts.screenshots) return;
  await mkdir(opts.screenshots, { recursive: true });
  await page.mouse.move(2, 790); // no tooltip over the picture
  await page.screenshot({ path: join(opts.screenshots, `${name}.png`) });
}

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** Calls the service through the page's own RSocket connection (the app exposes its store for tests). */
function rpc(page, route, data) {
  return page.evaluate(([r, d]) => window.relayStore.connection().then((c) => c.request(r, d ?? undefined)), [route, data]);
}

async function registerInUi(page, username, password, invite) {
  await page.goto(base);
  await page.getByRole("tab", { name: "Create account" }).click();
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  if (invite) await page.getByLabel("Invite code").fill(invite);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.locator('[data-testid=connection-status][data-status=online]').waitFor({ timeout: 20_000 });
}

async function openChat(page, username) {
  await page.getByLabel("Search people").fill(username);
  await page.locator(`[data-testid=user-row][data-username="${username}"]`).click();
  await page.getByRole("textbox", { name: "Message", exact: true }).waitFor();
}

const card = (page, id) => page.locator(`[data-testid=upload-card][data-upload-id="${id}"]`);
const attr = async (locator, name) => Number(await locator.getAttribute(name));

/** Sends the file from A's page and returns the new upload's id once its card exists; caps its rate. */
async function startUpload(page, path) {
  const before = new Set(await page.locator("[data-testid=upload-card]").evaluateAll((els) => els.map((e) => e.dataset.uploadId)));
  await page.setInputFiles("[data-testid=file-input]", path);
  let id;
  await waitFor(async () => {
    const ids = await page.locator("[data-testid=upload-card]").evaluateAll((els) => els.map((e) => e.dataset.uploadId));
    id = ids.find((x) => x && !before.has(x));
    return !!id;
  }, 15_000, "the upload card");
  await rpc(page, `uploads.${id}.limit`, { bytesPerSecond: PACE });
  return id;
}

/** A's upload is done: its card reports completed, or the message already shows the file ready. */
function completed(page, id, timeout) {
  return page
    .locator(`[data-testid=upload-card][data-upload-id="${id}"][data-status=completed], [data-testid=file-message][data-upload-id="${id}"][data-state=COMPLETED]`)
    .first()
    .waitFor({ timeout });
}

async function waitFor(predicate, timeout, what) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function scenario(name, body) {
  const started = Date.now();
  log(`▶ ${name}`);
  try {
    await body();
    results.push({ name, ok: true, ms: Date.now() - started });
    log(`✔ ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push({ name, ok: false, ms: Date.now() - started, error: String(e?.stack ?? e) });
    log(`✘ ${name}: ${e?.stack ?? e}`);
    throw e;
  }
}

async function main() {
  const work = await mkdtemp(join(tmpdir(), "relay-e2e-"));
  const file = join(work, "big-file.bin");
  const content = randomBytes(FILE_SIZE);
  await writeFile(file, content);
  const fileSha = sha256(content);

  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: !opts.headed,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
  });
  const newContext = async () => {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 800 } });
    // Downloads take the Blob path, which Playwright can observe (the save picker would need a person).
    await context.addInitScript(() => {
      Object.defineProperty(window, "showSaveFilePicker", { value: undefined, configurable: true });
    });
    return context;
  };
  const suffix = randomBytes(3).toString("hex");
  const alice = `alice_${suffix}`;
  const bob = `bob_${suffix}`;
  const password = "correct horse battery";
  const a = await (await newContext()).newPage();
  const b = await (await newContext()).newPage();
  // The service sends a strict Content-Security-Policy; Chromium reports what it blocks on the console.
  const cspViolations = [];
  for (const [who, page] of [["A", a], ["B", b]]) {
    page.on("pageerror", (e) => log(`${who} page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error" && /Content Security Policy/i.test(m.text())) {
        cspViolations.push(`${who}: ${m.text()}`);
        log(`${who} CSP violation: ${m.text()}`);
      }
    });
  }

  try {
    await scenario("two users register and chat", async () => {
      await a.goto(base);
      await a.getByRole("tab", { name: "Log in" }).waitFor();
      await screenshot(a, "login");
      await registerInUi(a, alice, password, opts["setup-token"]);
      await registerInUi(b, bob, password);
      await openChat(a, bob);
      await a.getByRole("textbox", { name: "Message", exact: true }).fill("Hello Bob, a big file is coming.");
      await a.keyboard.press("Enter");
      // B sees the unread count, opens the conversation and answers.
      await b.locator(`[data-testid=user-row][data-username="${alice}"] [data-testid=unread]`).waitFor({ timeout: 10_000 });
      await openChat(b, alice);
      await b.getByTestId("messages").getByText("Hello Bob, a big file is coming.").waitFor({ timeout: 10_000 });
      await b.getByRole("textbox", { name: "Message", exact: true }).fill("Send it over!");
      await b.keyboard.press("Enter");
      await a.getByTestId("messages").getByText("Send it over!").waitFor({ timeout: 10_000 });
      // Registered with the setup token, A is the administrator; without one, nobody is.
      const adminButton = a.getByRole("button", { name: "Administration" });
      if (opts["setup-token"] || (await adminButton.count())) {
        await adminButton.click();
        await a.locator(`[data-testid=admin-users] tr[data-username="${bob}"]`).waitFor({ timeout: 10_000 });
        await new Promise((r) => setTimeout(r, 400)); // the dialog's fade-in
        await screenshot(a, "admin");
        await a.getByRole("button", { name: "Close" }).click();
      }
    });

    let firstId;
    await scenario("A sends 50 MiB; pause stops the bytes, resume completes; B follows live and downloads it", async () => {
      firstId = await startUpload(a, file);
      const upload = card(a, firstId);
      await a.getByRole("button", { name: "Show flow panel" }).first().click();
      const incoming = b.locator(`[data-testid=file-message][data-upload-id="${firstId}"]`);
      await incoming.waitFor({ timeout: 10_000 });
      await waitFor(async () => (await attr(upload, "data-sent")) >= 12 * MiB, 30_000, "12 MiB sent");
      // The recipient sees the sender's progress while it runs.
      await waitFor(async () => (await attr(incoming, "data-received")) > 0, 10_000, "B to see progress");
      const bSeen = await attr(incoming, "data-received");
      await screenshot(a, "chat-transfer-in-progress");

      await upload.getByRole("button", { name: "Pause" }).click();
      await a.locator(`[data-testid=upload-card][data-upload-id="${firstId}"][data-status=paused]`).waitFor({ timeout: 10_000 });
      const info = await rpc(a, `uploads.${firstId}`);
      check(info.state === "PAUSED", `server reports PAUSED (was ${info.state})`);
      await b.locator(`[data-testid=file-message][data-upload-id="${firstId}"][data-state=PAUSED]`).waitFor({ timeout: 10_000 });
      await new Promise((r) => setTimeout(r, 600));
      const sentPaused = await attr(upload, "data-sent");
      await new Promise((r) => setTimeout(r, 1500));
      const sentLater = await attr(upload, "data-sent");
      check(sentLater === sentPaused, `no bytes while paused (${sentPaused} → ${sentLater})`);
      const infoLater = await rpc(a, `uploads.${firstId}`);
      check(infoLater.offset <= sentPaused, "the server holds no more than was sent");
      await screenshot(a, "transfer-paused");
      await screenshot(b, "recipient-sees-paused");
      log(`paused at ${sentPaused} bytes; B had seen ${bSeen}`);

      await upload.getByRole("button", { name: "Resume" }).click();
      await b.locator(`[data-testid=file-message][data-upload-id="${firstId}"][data-state=ACTIVE]`).waitFor({ timeout: 10_000 });
      await rpc(a, `uploads.${firstId}.limit`, { bytesPerSecond: null });
      await completed(a, firstId, 60_000);
      const done = await rpc(a, `uploads.${firstId}`);
      check(done.state === "COMPLETED" && done.sha256 === fileSha, "the server's SHA-256 matches");

      await incoming.locator("xpath=self::*[@data-state='COMPLETED']").waitFor({ timeout: 10_000 });
      const downloadEvent = b.waitForEvent("download", { timeout: 60_000 });
      await incoming.getByRole("button", { name: "Download", exact: true }).click();
      const download = await downloadEvent;
      const path = join(work, "downloaded.bin");
      await download.saveAs(path);
      const got = await readFile(path);
      check(got.length === FILE_SIZE, `downloaded ${got.length} bytes`);
      check(sha256(got) === fileSha, "the downloaded file's SHA-256 matches");
      await screenshot(b, "recipient-downloaded");
      // The same file through the browser's own download manager: a short-lived HTTP link, no header.
      const linkEvent = b.waitForEvent("download", { timeout: 60_000 });
      await incoming.getByTestId("browser-download").click();
      const viaLink = await linkEvent;
      const linkPath = join(work, "downloaded-via-link.bin");
      await viaLink.saveAs(linkPath);
      check(sha256(await readFile(linkPath)) === fileSha, "the file downloaded through the HTTP link matches too");
      // The same conversation on a phone-sized screen.
      await b.setViewportSize({ width: 390, height: 760 });
      await screenshot(b, "narrow-screen");
      await b.setViewportSize({ width: 1280, height: 800 });
    });

    await scenario("a reload mid-upload continues without choosing the file again", async () => {
      const id = await startUpload(a, file);
      await waitFor(async () => (await attr(card(a, id), "data-offset")) >= 6 * MiB, 30_000, "a durable part");
      await a.reload();
      const offer = a.locator(`[data-testid=offer][data-upload-id="${id}"]`);
      await offer.waitFor({ timeout: 20_000 });
      const before = await rpc(a, `uploads.${id}`);
      check(before.offset > 0 && before.offset < FILE_SIZE, `an offset to continue from (${before.offset})`);
      await screenshot(a, "reload-offer");
      await offer.getByRole("button", { name: "Continue" }).click();
      await rpc(a, `uploads.${id}.limit`, { bytesPerSecond: null });
      await openChat(a, bob);
      await completed(a, id, 60_000);
      const done = await rpc(a, `uploads.${id}`);
      check(done.sha256 === fileSha, "the continued upload's SHA-256 matches");
      log(`continued from ${before.offset} bytes`);
    });

    if (opts["restart-control"]) {
      await scenario("a server restart mid-upload is survived", async () => {
        const id = await startUpload(a, file);
        await waitFor(async () => (await attr(card(a, id), "data-offset")) >= 6 * MiB, 30_000, "a durable part");
        console.log("RELAY_E2E_RESTART");
        await a.locator("[data-testid=connection-status][data-status=reconnecting]").waitFor({ timeout: 30_000 });
        await a.locator(`[data-testid=upload-card][data-upload-id="${id}"][data-status=reconnecting]`).waitFor({ timeout: 30_000 });
        await screenshot(a, "reconnecting");
        const answer = await nextStdinLine();
        check(answer === "RESTARTED", `the test restarted the service (${answer})`);
        await a.locator("[data-testid=connection-status][data-status=online]").waitFor({ timeout: 60_000 });
        await completed(a, id, 90_000);
        const done = await rpc(a, `uploads.${id}`);
        check(done.sha256 === fileSha, "the upload that survived the restart has the right SHA-256");
        // B reconnected too and sees the file ready.
        await b.locator(`[data-testid=file-message][data-upload-id="${id}"][data-state=COMPLETED]`).waitFor({ timeout: 30_000 });
      });
    }
    await scenario("the app runs under its Content-Security-Policy without violations", async () => {
      const csp = (await fetch(base)).headers.get("content-security-policy") ?? "";
      check(csp.includes("default-src 'self'"), `the page has a Content-Security-Policy (got "${csp}")`);
      check(cspViolations.length === 0, `no CSP violations; got:\n${cspViolations.join("\n")}`);
    });
  } finally {
    await browser.close();
    await rm(work, { recursive: true, force: true });
  }
}

main()
  .then(() => {
    console.log(JSON.stringify({ ok: true, results }));
    console.log(`e2e: ${results.length} passed, 0 failed`);
    process.exit(0);
  })
  .catch((e) => {
    if (!results.some((r) => !r.ok)) results.push({ name: "setup", ok: false, error: String(e?.stack ?? e) });
    console.log(JSON.stringify({ ok: false, results }));
    console.log(`e2e: ${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length} failed`);
    process.exit(1);
  });
