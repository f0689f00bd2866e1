import { describe, expect, it } from "vitest";
import { Buffer } from "buffer";
import { Flags, FrameTypes, serializeFrame } from "rsocket-core";
import { BlobData, frameMessage } from "./websocketTransport";

describe("frameMessage", () => {
  it("sends a Blob payload as the frame rsocket-js would serialize, header then the Blob's bytes", async () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i & 255);
    for (const flags of [Flags.NEXT, Flags.NEXT | Flags.COMPLETE]) {
      const message = frameMessage({ type: FrameTypes.PAYLOAD, streamId: 0x7ffffffd, flags, data: new BlobData(new Blob([bytes])) as never, metadata: undefined as never });
      expect(message).toBeInstanceOf(Blob);
      const expected = serializeFrame({ type: FrameTypes.PAYLOAD, streamId: 0x7ffffffd, flags, data: Buffer.from(bytes) as never, metadata: undefined as never });
      expect(new Uint8Array(await (message as Blob).arrayBuffer())).toEqual(new Uint8Array(expected));
    }
  });

  it("serializes every other frame as rsocket-js does", () => {
    const frame = { type: FrameTypes.REQUEST_N, streamId: 3, flags: 0, requestN: 16 } as const;
    expect(new Uint8Array(frameMessage(frame as never) as Buffer)).toEqual(new Uint8Array(serializeFrame(frame as never)));
  });

  it("refuses a Blob where it cannot be a whole frame's data", () => {
    const data = new BlobData(new Blob([new Uint8Array(10)])) as never;
    expect(() => frameMessage({ type: FrameTypes.PAYLOAD, streamId: 1, flags: Flags.NEXT | Flags.FOLLOWS, data, metadata: undefined as never })).toThrow();
    expect(() => frameMessage({ type: FrameTypes.PAYLOAD, streamId: 1, flags: Flags.NEXT | Flags.METADATA, data, metadata: Buffer.alloc(0) as never })).toThrow();
  });
});
