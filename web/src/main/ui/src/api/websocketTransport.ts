import { Buffer } from "buffer";
import { Deferred, Deserializer, FrameTypes, Flags, serializeFrame } from "rsocket-core";
import type { ClientTransport, Closeable, Demultiplexer, DuplexConnection, Frame, FrameHandler, Multiplexer, Outbound } from "rsocket-core";

/**
 * Payload data that is a Blob (an upload's File slice). The connection sends its frame as one WebSocket message
 * `Blob([header, slice])`: the browser reads the file itself, so the page neither reads the chunk into JavaScript
 * (`Blob.arrayBuffer`, 1.3–1.8 ms a chunk on the main thread) nor copies it into a frame (rsocket-js's
 * `serializeFrame` allocates header + data and copies the data in). rsocket-js only reads `byteLength` of it (to
 * decide on fragmenting, which a chunk never needs: rsocket.ts). docs/benchmarks.md, "Browser".
 */
export class BlobData {
  constructor(readonly blob: Blob) {}

  get byteLength(): number {
    return this.blob.size;
  }
}

const FRAME_HEADER_BYTES = 6;
const FRAME_TYPE_SHIFT = 10;
const FLAGS_MASK = 0x3ff;

/** The 6-byte header of a PAYLOAD frame without metadata: stream id, then type and flags (RSocket 1.0). */
export function payloadHeader(streamId: number, flags: number): Uint8Array {
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  const view = new DataView(header.buffer);
  view.setUint32(0, streamId);
  view.setUint16(4, (FrameTypes.PAYLOAD << FRAME_TYPE_SHIFT) | (flags & FLAGS_MASK));
  return header;
}

/** The message one frame goes out as: a Blob for a payload of BlobData, serialized bytes for everything else. */
export function frameMessage(frame: Frame): Blob | Buffer {
  const data = (frame as { data?: unknown }).data;
  if (data instanceof BlobData) {
    if (frame.type !== FrameTypes.PAYLOAD || Flags.hasMetadata(frame.flags) || Flags.hasFollows(frame.flags)) {
      throw new Error("A Blob is only sent as the data of a whole PAYLOAD frame without metadata.");
    }
    return new Blob([payloadHeader(frame.streamId, frame.flags) as BlobPart, data.blob]);
  }
  return serializeFrame(frame);
}

/** rsocket-websocket-client's connection, but sending BlobData payloads as Blobs (see BlobData). */
class WebsocketConnection extends Deferred implements DuplexConnection, Outbound {
  readonly multiplexerDemultiplexer: Multiplexer & Demultiplexer & FrameHandler;
  private readonly deserializer = new Deserializer();

  constructor(
    private websocket: WebSocket | undefined,
    factory: (outbound: Outbound & Closeable) => Multiplexer & Demultiplexer & FrameHandler,
  ) {
    super();
    websocket!.addEventListener("close", this.handleClosed);
    websocket!.addEventListener("error", this.handleError);
    websocket!.addEventListener("message", this.handleMessage);
    this.multiplexerDemultiplexer = factory(this);
  }

  get availability(): number {
    return this.done ? 0 : 1;
  }

  close(error?: Error): void {
    const websocket = this.websocket;
    if (!this.done && websocket) {
      websocket.removeEventListener("close", this.handleClosed);
      websocket.removeEventListener("error", this.handleError);
      websocket.removeEventListener("message", this.handleMessage);
      websocket.close();
      this.websocket = undefined;
    }
    super.close(error);
  }

  send(frame: Frame): void {
    if (this.done || !this.websocket) return;
    this.websocket.send(frameMessage(frame) as Blob | Uint8Array<ArrayBuffer>);
  }

  private readonly handleClosed = (e: CloseEvent) => {
    this.close(new Error(e.reason || "WebsocketDuplexConnection: Socket closed unexpectedly."));
  };

  private readonly handleError = (e: Event) => {
    this.close((e as ErrorEvent).error);
  };

  private readonly handleMessage = (message: MessageEvent) => {
    try {
      // A view of the message's ArrayBuffer, not a copy.
      const frame = this.deserializer.deserializeFrame(Buffer.from(message.data as ArrayBuffer) as never);
      this.multiplexerDemultiplexer.handle(frame);
    } catch (error) {
      this.close(error as Error);
    }
  };
}

/** rsocket-websocket-client's WebsocketClientTransport with the connection above. */
export class WebsocketTransport implements ClientTransport {
  constructor(private readonly url: string) {}

  connect(factory: (outbound: Outbound & Closeable) => Multiplexer & Demultiplexer & FrameHandler): Promise<DuplexConnection> {
    return new Promise((resolve, reject) => {
      const websocket = new WebSocket(this.url);
      websocket.binaryType = "arraybuffer";
      const opened = () => {
        websocket.removeEventListener("open", opened);
        websocket.removeEventListener("error", failed);
        resolve(new WebsocketConnection(websocket, factory));
      };
      const failed = (e: Event) => {
        websocket.removeEventListener("open", opened);
        websocket.removeEventListener("error", failed);
        reject((e as ErrorEvent).error);
      };
      websocket.addEventListener("open", opened);
      websocket.addEventListener("error", failed);
    });
  }
}
