// rsocket-js uses Node's Buffer as a global; browsers get the `buffer` package's implementation.
import { Buffer } from "buffer";

const scope = globalThis as unknown as { Buffer?: typeof Buffer };
if (!scope.Buffer) scope.Buffer = Buffer;
