// A small Relay client for Node.js on rsocket-js 1.0.0-alpha.3: log in over HTTP, connect over
// RSocket-over-WebSocket, and upload / download files following the server's request-n. The wire contract
// (routes, JSON messages, error codes) is defined in api/src/main/java/dev/relay/api.

import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import WebSocket from "ws";
import { ErrorCodes, RSocketConnector } from "rsocket-core";
import { WebsocketClientTransport } from "rsocket-websocket-client";
import {
  WellKnownMimeType,
  encodeBearerAuthMetadata,
  encodeCompositeMetadata,
  encodeRoute,
} from "rsocket-composite-metadata";

/**
 * Above any chunk (256 KiB), within the server's 2 MiB per WebSocket message: each chunk goes as one RSocket frame,
 * which costs less than fragments of it (docs/protocol.md §1).
 */
const MAX_FRAGMENT_BYTES = 1048576;
/** request-n is a 31-bit count; asking for this many response events means "all of them". */
const UNBOUNDED = 0x7fffffff;
/** Download chunks requested ahead of the one being written to disk. */
const DOWNLOAD_PREFETCH = 8;

/**
 * A failed call. `code` is the service's ErrorCode (api/.../ErrorCode.java) when the service reported it; else
 * UNREACHABLE, HTTP_<status>, CONNECTION_CLOSED, INCOMPLETE or the name of an RSocket error code.
 */
export class RelayError extends Error {
  constructor(code, message, offset) {
    super(message);
    this.name = "RelayError";
    this.code = code;
    if (offset !== undefined) this.offset = offset;
  }

  /**
   * Wraps an RSocket error. The service's own errors are APPLICATION_ERROR with the JSON
   * `{"code","message","offset"?}` as the message; others (from rsocket-java or the connection) keep their text
   * under the RSocket error code's name, e.g. CANCELED, or CONNECTION_CLOSED.
   */
  static from(error) {
    if (error instanceof RelayError) return error;
    const text = String(error?.message ?? error);
    // A connection-level error reaches open streams wrapped as "Closed. Original cause [...]".
    const json = text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1);
    if (json) {
      try {
        const body = JSON.parse(json);
        if (body.code) return new RelayError(body.code, body.message, body.offset);
      } catch {
        // Not the service's JSON: report the text as it is.
      }
    }
    const cause = /^Closed\. Original cause \[(?:Error: )?(.*)\]\.$/s.exec(text);
    if (cause) return new RelayError("CONNECTION_CLOSED", `The connection was closed: ${cause[1]}`);
    return new RelayError(ErrorCodes[error?.code] ?? "RSOCKET", text);
  }
}

/**
 * Registers `username`, or logs in if the name is taken (409 CONFLICT).
 * @returns {Promise<{token: string, expiresAt: string, userId: string, username: string}>}
 */
export async function registerOrLogin(baseUrl, username, password) {
  const credentials = { username, password };
  try {
    return await postJson(new URL("/api/auth/register", baseUrl), credentials);
  } catch (e) {
    if (e.code !== "CONFLICT") throw e;
  }
  return postJson(new URL("/api/auth/login", baseUrl), credentials);
}

async function postJson(url, body) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (e) {
    // fetch says only "fetch failed"; the reason (refused, unknown host...) is its cause.
    throw new RelayError("UNREACHABLE", `Cannot reach ${url}: ${e.cause?.message ?? e.message}`);
  }
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RelayError("HTTP_" + response.status, `POST ${url} answered ${response.status}: ${text}`);
  }
  if (!response.ok) {
    throw new RelayError(json.code ?? "HTTP_" + response.status, json.message ?? text, json.offset);
  }
  return json;
}

/** The RSocket endpoint for the service's HTTP base URL: http://host:port → ws://host:port/rsocket. */
export function rsocketUrl(baseUrl) {
  const url = new URL("/rsocket", baseUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

/**
 * Opens one RSocket connection authenticated by `token` (bearer authentication in the SETUP metadata).
 * @returns {Promise<RelayConnection>}
 */
export async function connect(baseUrl, token) {
  const connector = new RSocketConnector({
    setup: {
      dataMimeType: "application/json",
      metadataMimeType: "message/x.rsocket.composite-metadata.v0",
      payload: {
        data: null,
        metadata: encodeCompositeMetadata([
          [WellKnownMimeType.MESSAGE_RSOCKET_AUTHENTICATION, encodeBearerAuthMetadata(token)],
        ]),
      },
    },
    fragmentation: { maxOutboundFragmentSize: MAX_FRAGMENT_BYTES },
    // Node 20 has no global WebSocket: use the `ws` package.
    transport: new WebsocketClientTransport({ url: rsocketUrl(baseUrl), wsCreator: (url) => new WebSocket(url) }),
  });
  return new RelayConnection(await connector.connect());
}

function routeMetadata(route) {
  return encodeCompositeMetadata([[WellKnownMimeType.MESSAGE_RSOCKET_ROUTING, encodeRoute(route)]]);
}

function jsonData(value) {
  // The fragmenter reads data.byteLength, so "no data" must be an empty buffer, not null.
  return value === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(value));
}

function parseJson(data) {
  return data?.length ? JSON.parse(data.toString("utf8")) : null;
}

/** One authenticated connection: request helpers plus upload and download with flow control. */
export class RelayConnection {
  constructor(rsocket) {
    this.rsocket = rsocket;
    this.open = true;
    rsocket.onClose(() => {
      this.open = false;
    });
  }

  /** request-response on `route` with JSON `data` (or none); resolves with the parsed JSON answer. */
  request(route, data) {
    return new Promise((resolve, reject) => {
      this.rsocket.requestResponse(
        { data: jsonData(data), metadata: routeMetadata(route) },
        {
          onNext: (payload) => {
            try {
              resolve(parseJson(payload.data));
            } catch (e) {
              reject(e);
            }
          },
          onComplete: () => resolve(null),
          onError: (e) => reject(RelayError.from(e)),
          onExtension: () => {},
        },
      );
    });
  }

  createUpload({ name, size, contentType, sha256 }) {
    return this.request("uploads.create", { name, size, contentType, sha256 });
  }

  upload(id) {
    return this.request(`uploads.${id}`);
  }

  pause(id) {
    return this.request(`uploads.${id}.pause`);
  }

  resume(id) {
    return this.request(`uploads.${id}.resume`);
  }

  cancel(id) {
    return this.request(`uploads.${id}.cancel`);
  }

  file(id) {
    return this.request(`files.${id}`);
  }

  /**
   * Sends the bytes of `path` from `offset` on the write channel of upload `id`, one chunk of at most
   * `chunkBytes` per credit the server grants, and nothing without credit: that is all pausing needs from a
   * client (the server simply stops granting). Resolves with the COMPLETED event.
   *
   * @param {object} options
   * @param {number} [options.offset] where to start: the upload's durable offset (0 for a new upload)
   * @param {number} options.chunkBytes the largest chunk to send: the ticket's maxChunkBytes
   * @param {(event: object) => void} [options.onEvent] every event of the response stream
   * @param {(sent: number) => void} [options.onSent] after each chunk, with the bytes sent so far on this channel
   */
  async write(id, path, { offset = 0, chunkBytes, onEvent = () => {}, onSent = () => {} }) {
    const file = await open(path, "r");
    try {
      const size = (await file.stat()).size;
      return await new Promise((resolve, reject) => {
        let credit = 0;
        let position = offset;
        let pumping = false;
        let stopped = false;
        let completed = null;

        const finish = (error) => {
          if (stopped) return;
          stopped = true;
          if (error) reject(RelayError.from(error));
          else if (completed) resolve(completed);
          else reject(new RelayError("INCOMPLETE", `The write channel of upload ${id} ended before COMPLETED.`));
        };

        // Reads and sends chunks while credit lasts; one loop at a time, since reading the file is async.
        const pump = async () => {
          if (pumping) return;
          pumping = true;
          try {
            while (!stopped && credit > 0 && position < size) {
              const length = Math.min(chunkBytes, size - position);
              const buffer = Buffer.allocUnsafe(length);
              const { bytesRead } = await file.read(buffer, 0, length, position);
              if (bytesRead !== length) throw new Error(`${path} changed while it was uploaded.`);
              // The channel may have ended, or the server cancelled our side, while the chunk was read.
              if (stopped || credit <= 0) break;
              credit--;
              position += length;
              channel.onNext({ data: buffer }, false);
              onSent(position - offset);
              if (position === size) channel.onComplete();
            }
          } catch (e) {
            channel.cancel();
            finish(e);
          } finally {
            pumping = false;
          }
        };

        const channel = this.rsocket.requestChannel(
          { data: jsonData({ offset }), metadata: routeMetadata(`uploads.${id}.write`) },
          UNBOUNDED,
          false,
          {
            // REQUEST_N from the server: credit for that many more chunks.
            request: (n) => {
              credit += n;
              pump();
            },
            // The server stops reading (it has every byte, or it failed): send nothing more.
            cancel: () => {
              credit = 0;
            },
            onNext: (payload, isComplete) => {
              const event = parseJson(payload.data);
              if (event.type === "COMPLETED") completed = event;
              onEvent(event);
              if (isComplete) finish();
            },
            onComplete: () => finish(),
            onError: (e) => finish(e),
            onExtension: () => {},
          },
        );
      });
    } finally {
      await file.close();
    }
  }

  /**
   * Streams file `id` from `offset` into `path` (appending when offset > 0), asking for the next chunk only once
   * one is written, and returns the SHA-256 of the bytes received.
   *
   * @param {(received: number) => void} [onReceived] after each chunk, with the bytes received so far
   */
  async read(id, path, { offset = 0, onReceived = () => {} } = {}) {
    const file = await open(path, offset > 0 ? "a" : "w");
    const digest = createHash("sha256");
    let received = 0;
    try {
      await new Promise((resolve, reject) => {
        let writing = Promise.resolve();
        let failed = false;
        const fail = (e) => {
          if (failed) return;
          failed = true;
          stream.cancel();
          reject(RelayError.from(e));
        };
        const stream = this.rsocket.requestStream(
          { data: jsonData({ offset }), metadata: routeMetadata(`files.${id}.read`) },
          DOWNLOAD_PREFETCH,
          {
            onNext: (payload, isComplete) => {
              if (failed) return;
              const chunk = payload.data;
              digest.update(chunk);
              writing = writing
                .then(async () => {
                  if (failed) return;
                  await file.write(chunk);
                  received += chunk.length;
                  onReceived(received);
                  if (!isComplete) stream.request(1);
                })
                .catch(fail);
              if (isComplete) writing.then(() => resolve());
            },
            onComplete: () => writing.then(() => resolve()),
            onError: (e) => {
              failed = true;
              reject(RelayError.from(e));
            },
            onExtension: () => {},
          },
        );
      });
    } finally {
      await file.close();
    }
    return { received, sha256: digest.digest("hex") };
  }

  close() {
    // rsocket-js warns when a connection the server already closed is closed again.
    if (this.open) this.rsocket.close();
  }
}

/** Lowercase hex SHA-256 of a file. */
export async function sha256File(path) {
  const file = await open(path, "r");
  try {
    const digest = createHash("sha256");
    for await (const chunk of file.createReadStream()) digest.update(chunk);
    return digest.digest("hex");
  } finally {
    await file.close();
  }
}
