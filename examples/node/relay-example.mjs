#!/usr/bin/env node
// Relay end to end from Node.js: log in (registering if needed), upload a file, pause it from a second
// connection and check that the server stops asking for bytes, resume it, then download it and compare SHA-256.
//
//   node relay-example.mjs --url http://127.0.0.1:8080 --user alice --password 'secret123' --file ./some.bin \
//       [--out ./downloaded.bin] [--pause-after-bytes N]
//
// Progress goes to stdout, then one JSON summary line; the exit code is 0 only if every check passed.

import { basename, resolve } from "node:path";
import { stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { RelayError, connect, registerOrLogin, sha256File } from "./relay-client.mjs";

const MiB = 1024 * 1024;
/**
 * Bytes the upload must still have to send at the pause point, so that it is still running while paused. Once a
 * pause is acknowledged a client may still send the credit it was granted before, at most one credit window (256 KiB
 * for a quick client on a fast link, up to relay.transfer.credit-window-max, 16 MiB by default, for a slow one).
 */
const PAUSE_MARGIN_BYTES = 1 * MiB;
/** How long the upload stays paused: long enough to see that nothing flows. */
const PAUSE_MILLIS = 1500;
/** Within this much of the acknowledgement, the credit granted before it is used up; after it, nothing may flow. */
const PAUSE_DRAIN_MILLIS = 500;

const USAGE = `usage: node relay-example.mjs --url http://127.0.0.1:8080 --user NAME --password PASSWORD --file PATH
                              [--out PATH] [--pause-after-bytes N]`;

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: "string" },
        user: { type: "string" },
        password: { type: "string" },
        file: { type: "string" },
        out: { type: "string" },
        "pause-after-bytes": { type: "string", default: String(12 * MiB) },
      },
    }));
  } catch (e) {
    throw new UsageError(e.message);
  }
  for (const required of ["url", "user", "password", "file"]) {
    if (!values[required]) throw new UsageError(`--${required} is required.`);
  }
  const pauseAfter = Number(values["pause-after-bytes"]);
  if (!Number.isSafeInteger(pauseAfter) || pauseAfter <= 0) {
    throw new UsageError("--pause-after-bytes must be a positive whole number of bytes.");
  }
  const file = resolve(values.file);
  const out = resolve(values.out ?? `${values.file}.downloaded`);
  if (out === file) throw new UsageError("--out must differ from --file.");
  return { url: values.url, user: values.user, password: values.password, file, out, pauseAfter };
}

class UsageError extends Error {}

const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;
const log = (line) => console.log(line);

async function main(summary) {
  const opts = options();
  const size = (await stat(opts.file)).size;
  if (opts.pauseAfter + PAUSE_MARGIN_BYTES >= size) {
    throw new UsageError(`${opts.file} has ${size} bytes: it must be larger than --pause-after-bytes plus`
      + ` ${PAUSE_MARGIN_BYTES} so that the upload is still running while paused.`);
  }
  const sha256 = await sha256File(opts.file);
  Object.assign(summary, { size, sha256 });
  log(`file ${opts.file}: ${size} bytes, sha256 ${sha256}`);

  const auth = await registerOrLogin(opts.url, opts.user, opts.password);
  log(`logged in as ${auth.username} (user ${auth.userId}), token valid until ${auth.expiresAt}`);

  // Two connections, like two browser tabs: one carries the upload, the other pauses and resumes it.
  const uploader = await connect(opts.url, auth.token);
  let control;
  try {
    control = await connect(opts.url, auth.token);
    const ticket = await uploader.createUpload({
      name: basename(opts.file), size, contentType: "application/octet-stream", sha256,
    });
    summary.uploadId = ticket.id;
    log(`upload ${ticket.id} created: part size ${ticket.partSize}, max chunk ${ticket.maxChunkBytes} bytes`);

    let sent = 0;
    let nextReport = 4 * MiB;
    let pausedEvent = false;
    let lastOffset = -1;
    let reachPausePoint;
    const pausePoint = new Promise((resolve) => {
      reachPausePoint = resolve;
    });

    // Pausing from the control connection: the write channel stays open, and this client keeps honouring
    // request-n; the server simply stops granting credit until it is resumed.
    async function pauseAndResume() {
      const paused = await control.pause(ticket.id);
      const sentAtPause = sent;
      log(`pause acknowledged at ${mib(sentAtPause)} sent: state ${paused.state}, durable offset ${paused.offset}`);
      await sleep(PAUSE_DRAIN_MILLIS);
      const sentAfterDrain = sent;
      await sleep(PAUSE_MILLIS - PAUSE_DRAIN_MILLIS);
      summary.bytesSentWhilePaused = sent - sentAtPause;
      const silent = sent === sentAfterDrain;
      summary.pausedObserved = pausedEvent && silent;
      log(`paused for ${PAUSE_MILLIS} ms: ${summary.bytesSentWhilePaused} bytes sent after the pause was acknowledged`
        + ` (credit granted before it), ${silent ? "none" : sent - sentAfterDrain} in its last`
        + ` ${PAUSE_MILLIS - PAUSE_DRAIN_MILLIS} ms, PAUSED event ${pausedEvent ? "seen" : "NOT seen"}`);
      const resumed = await control.resume(ticket.id);
      log(`resumed: state ${resumed.state}`);
    }

    const upload = uploader.write(ticket.id, opts.file, {
      offset: ticket.offset,
      chunkBytes: ticket.maxChunkBytes,
      onSent: (bytes) => {
        sent = bytes;
        if (sent >= nextReport) {
          log(`upload: ${mib(sent)} of ${mib(size)} sent`);
          nextReport += 4 * MiB;
        }
        if (sent >= opts.pauseAfter) reachPausePoint();
      },
      onEvent: (event) => {
        if (event.type === "PAUSED") pausedEvent = true;
        // PROGRESS comes several times a second; report it only when the durable offset moves.
        if (event.type !== "PROGRESS" || event.offset !== lastOffset) {
          log(`event ${event.type}: received ${event.received}, durable offset ${event.offset}, state ${event.state}`);
        }
        lastOffset = event.offset;
      },
    });

    // The file is larger than the pause point (checked above), so both end. Waiting for both also ends the run at
    // the first failure: after a failed resume the upload would wait for credit forever.
    const [completed] = await Promise.all([upload, pausePoint.then(pauseAndResume)]);
    summary.serverSha256 = completed.sha256;
    log(`upload completed: server sha256 ${completed.sha256}`);

    const info = await control.file(ticket.id);
    log(`file ${info.id}: ${info.name}, ${info.size} bytes, created ${info.createdAt}; downloading to ${opts.out}`);
    let nextDownloadReport = 8 * MiB;
    const download = await uploader.read(ticket.id, opts.out, {
      onReceived: (received) => {
        if (received >= nextDownloadReport) {
          log(`download: ${mib(received)} of ${mib(info.size)} received`);
          nextDownloadReport += 8 * MiB;
        }
      },
    });
    summary.downloadedSha256 = download.sha256;
    log(`download finished: ${download.received} bytes, sha256 ${download.sha256}`);

    const failures = [];
    if (!summary.pausedObserved) failures.push("the server did not stop the upload while it was paused");
    if (completed.sha256 !== sha256) failures.push("the server's SHA-256 of the upload differs from the file's");
    if (info.sha256 !== sha256 || info.size !== size) failures.push(`files.${info.id} reports another file`);
    if (download.received !== size || download.sha256 !== sha256) {
      failures.push("the downloaded bytes differ from the file");
    }
    if (failures.length) throw new Error(failures.join("; "));
  } finally {
    uploader.close();
    control?.close();
  }
}

// Listed up front so that the summary's fields keep this order; unset ones are left out of the JSON.
const summary = {
  ok: false, uploadId: undefined, size: undefined, sha256: undefined, pausedObserved: undefined,
  bytesSentWhilePaused: undefined, serverSha256: undefined, downloadedSha256: undefined,
};
try {
  await main(summary);
  summary.ok = true;
} catch (e) {
  summary.error = e instanceof RelayError ? { code: e.code, message: e.message } : { message: e.message };
  console.error(e instanceof RelayError ? `error ${e.code}: ${e.message}` : `error: ${e.message}`);
  if (e instanceof UsageError) console.error(USAGE);
}
console.log(JSON.stringify(summary));
process.exitCode = summary.ok ? 0 : 1;
