package dev.relay.web.rsocket;

import io.netty.buffer.ByteBuf;

/**
 * The structural rules of the RSocket 1.0 frame format that a client's frames must obey before rsocket-java sees
 * them. rsocket-java trusts its peer: a frame too short for its header, of an undefined type, or a request on stream
 * 0 makes it throw on a Netty thread or run the frame as something else, and the connection then stays open and
 * silent. Checking here turns each of those into a connection error the client can read.
 */
final class FrameRules {

    /** What to do with one inbound frame. */
    sealed interface Verdict permits Pass, Drop, Reject {
    }

    /** A well-formed frame: hand it to rsocket-java. */
    record Pass() implements Verdict {
    }

    /** A frame of a type this server does not know, sent with the IGNORE flag: the spec lets the receiver drop it. */
    record Drop() implements Verdict {
    }

    /** A malformed frame: answer with an ERROR frame on stream 0 stating the problem, then close the connection. */
    record Reject(String problem) implements Verdict {
    }

    private static final Verdict PASS = new Pass();
    private static final Verdict DROP = new Drop();

    static final int SETUP = 0x01;
    static final int LEASE = 0x02;
    static final int KEEPALIVE = 0x03;
    static final int REQUEST_RESPONSE = 0x04;
    static final int REQUEST_FNF = 0x05;
    static final int REQUEST_STREAM = 0x06;
    static final int REQUEST_CHANNEL = 0x07;
    static final int REQUEST_N = 0x08;
    static final int CANCEL = 0x09;
    static final int PAYLOAD = 0x0A;
    static final int ERROR = 0x0B;
    static final int METADATA_PUSH = 0x0C;
    static final int RESUME = 0x0D;
    static final int RESUME_OK = 0x0E;
    static final int EXT = 0x3F;

    static final int FLAG_IGNORE = 0x200;
    static final int FLAG_METADATA = 0x100;
    /** In SETUP only: a resume token follows the lifetime. */
    static final int FLAG_RESUME_ENABLE = 0x80;

    private static final int HEADER = 6;

    private FrameRules() {
    }

    /**
     * Judges one frame as received from a client.
     *
     * @param first whether it is the connection's first frame, which must be SETUP (or RESUME, which rsocket-java
     *              then refuses properly on its own)
     */
    static Verdict check(ByteBuf frame, boolean first) {
        int length = frame.readableBytes();
        if (length < HEADER) {
            return reject("a frame of %d bytes is shorter than the 6-byte RSocket frame header", length);
        }
        int at = frame.readerIndex();
        int streamId = frame.getInt(at);
        int typeAndFlags = frame.getUnsignedShort(at + 4);
        int type = typeAndFlags >>> 10;
        int flags = typeAndFlags & 0x3FF;
        int body = length - HEADER;
        if (streamId < 0) {
            return reject("stream id 0x%08X has its reserved high bit set", streamId);
        }
        if (first) {
            if (type != SETUP && type != RESUME) {
                return reject("the first frame must be SETUP (type 0x01), not type 0x%02X", type);
            }
        } else if (type == SETUP || type == RESUME) {
            return reject("%s is allowed only as the connection's first frame", name(type));
        }
        switch (type) {
            case SETUP: {
                Verdict verdict = streamZero(streamId, type);
                return verdict != null ? verdict : setup(frame, at + HEADER, body, flags);
            }
            case RESUME: {
                // rsocket-java answers an unsupported RESUME with REJECTED_RESUME; it reads only the header for that.
                Verdict verdict = streamZero(streamId, type);
                return verdict != null ? verdict : PASS;
            }
            case LEASE, KEEPALIVE:
                return streamZeroWithBody(streamId, type, body, 8);
            case METADATA_PUSH:
                if (streamId != 0) {
                    return reject("METADATA_PUSH must be sent on stream 0, not stream %d", streamId);
                }
                if ((flags & FLAG_METADATA) == 0) {
                    return reject("METADATA_PUSH must have its METADATA flag set");
                }
                return PASS;
            case REQUEST_RESPONSE, REQUEST_FNF:
                return request(frame, at, streamId, type, body, 0, flags);
            case REQUEST_STREAM, REQUEST_CHANNEL:
                return request(frame, at, streamId, type, body, 4, flags);
            case REQUEST_N: {
                Verdict verdict = onStream(streamId, type, body, 4);
                if (verdict != PASS) {
                    return verdict;
                }
                int n = frame.getInt(at + HEADER);
                return n > 0 ? PASS : reject("REQUEST_N on stream %d asks for %d; it must ask for at least 1", streamId, n);
            }
            case CANCEL:
                return onStream(streamId, type, body, 0);
            case PAYLOAD: {
                Verdict verdict = onStream(streamId, type, body, 0);
                return verdict != PASS ? verdict : metadataFits(frame, at + HEADER, body, flags, type);
            }
            case ERROR:
                return body >= 4 ? PASS : reject("ERROR frame has %d bytes after its header; the error code needs 4", body);
            case RESUME_OK:
                return reject("RESUME_OK is sent by a server, never to one");
            default:
                // Undefined types, and extensions (EXT), none of which this server implements.
                if ((flags & FLAG_IGNORE) != 0) {
                    return DROP;
                }
                return type == EXT
                        ? reject("extension frames (EXT) are not supported; set the IGNORE flag to have one skipped")
                        : reject("frame type 0x%02X is not defined by RSocket 1.0", type);
        }
    }

    private static Verdict setup(ByteBuf frame, int at, int body, int flags) {
        int need = 4 + 4 + 4; // version, keepalive interval, max lifetime
        if (body < need) {
            return reject("SETUP is too short: %d bytes after the header", body);
        }
        if (frame.getUnsignedShort(at) != 1) {
            // rsocket-java itself refuses other versions with UNSUPPORTED_SETUP; let it, with its own message.
            return PASS;
        }
        if (frame.getInt(at + 4) <= 0 || frame.getInt(at + 8) <= 0) {
            return reject("SETUP must state a positive keepalive interval and max lifetime");
        }
        int position = need;
        if ((flags & FLAG_RESUME_ENABLE) != 0) {
            if (body < position + 2) {
                return reject("SETUP announces a resume token but ends before its length");
            }
            position += 2 + frame.getUnsignedShort(at + position);
        }
        for (String which : new String[]{"metadata", "data"}) {
            if (body < position + 1) {
                return reject("SETUP ends before its %s MIME type", which);
            }
            position += 1 + frame.getUnsignedByte(at + position);
        }
        if (body < position) {
            return reject("SETUP ends inside its MIME types");
        }
        return metadataFits(frame, at + position, body - position, flags, SETUP);
    }

    private static Verdict request(ByteBuf frame, int at, int streamId, int type, int body, int fixed, int flags) {
        if (streamId == 0) {
            return reject("%s must not be sent on stream 0 (reserved for the connection)", name(type));
        }
        if ((streamId & 1) == 0) {
            return reject("%s on stream %d: a client's requests use odd stream ids", name(type), streamId);
        }
        if (body < fixed) {
            return reject("%s on stream %d is too short for its initial request-n", name(type), streamId);
        }
        if (fixed == 4 && frame.getInt(at + HEADER) <= 0) {
            return reject("%s on stream %d asks for %d items; it must ask for at least 1", name(type), streamId,
                    frame.getInt(at + HEADER));
        }
        return metadataFits(frame, at + HEADER + fixed, body - fixed, flags, type);
    }

    private static Verdict metadataFits(ByteBuf frame, int at, int remaining, int flags, int type) {
        if ((flags & FLAG_METADATA) == 0) {
            return PASS;
        }
        if (remaining < 3) {
            return reject("%s has the METADATA flag but no room for the 3-byte metadata length", name(type));
        }
        int metadataLength = frame.getUnsignedMedium(at);
        if (metadataLength > remaining - 3) {
            return reject("%s declares %d bytes of metadata but only %d follow", name(type), metadataLength,
                    remaining - 3);
        }
        return PASS;
    }

    private static Verdict onStream(int streamId, int type, int body, int fixed) {
        if (streamId == 0) {
            return reject("%s must not be sent on stream 0 (reserved for the connection)", name(type));
        }
        return body >= fixed ? PASS : reject("%s on stream %d is too short: %d bytes after the header, %d needed",
                name(type), streamId, body, fixed);
    }

    private static Verdict streamZeroWithBody(int streamId, int type, int body, int fixed) {
        Verdict verdict = streamZero(streamId, type);
        if (verdict != null) {
            return verdict;
        }
        return body >= fixed ? PASS : reject("%s is too short: %d bytes after the header, %d needed", name(type),
                body, fixed);
    }

    private static Verdict streamZero(int streamId, int type) {
        return streamId == 0 ? null : reject("%s must be sent on stream 0, not stream %d", name(type), streamId);
    }

    private static Verdict reject(String format, Object... args) {
        return new Reject("Malformed RSocket frame: " + String.format(format, args) + "; closing the connection");
    }

    static String name(int type) {
        return switch (type) {
            case SETUP -> "SETUP";
            case LEASE -> "LEASE";
            case KEEPALIVE -> "KEEPALIVE";
            case REQUEST_RESPONSE -> "REQUEST_RESPONSE";
            case REQUEST_FNF -> "REQUEST_FNF";
            case REQUEST_STREAM -> "REQUEST_STREAM";
            case REQUEST_CHANNEL -> "REQUEST_CHANNEL";
            case REQUEST_N -> "REQUEST_N";
            case CANCEL -> "CANCEL";
            case PAYLOAD -> "PAYLOAD";
            case ERROR -> "ERROR";
            case METADATA_PUSH -> "METADATA_PUSH";
            case RESUME -> "RESUME";
            case RESUME_OK -> "RESUME_OK";
            case EXT -> "EXT";
            default -> String.format("type 0x%02X", type);
        };
    }
}
