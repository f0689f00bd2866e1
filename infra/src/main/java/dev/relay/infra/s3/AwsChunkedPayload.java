package dev.relay.infra.s3;

import dev.relay.streaming.port.PartFeed;
import io.minio.Signer;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.ZonedDateTime;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okio.BufferedSink;

/**
 * A request body in S3's signed streaming format ({@code STREAMING-AWS4-HMAC-SHA256-PAYLOAD}, "aws-chunked"): the
 * payload goes in chunks, each signed with the SHA-256 of its bytes and the signature of the chunk before it, the
 * first chained to the request's own (seed) signature.
 *
 * <p>Why not a payload signed as a whole: that needs the SHA-256 of the whole part in a header before the first byte
 * is sent, and the server can check it only once it holds the whole part (S3Proxy buffers and hashes it before it
 * writes a byte). Chunk signatures protect the payload just as well over plain HTTP, let the server verify and store
 * as the bytes arrive, and the hashing happens while sending, on OkHttp's thread.
 *
 * <p>The part may still be arriving ({@link PartFeed}): each chunk is sent as soon as its bytes are in. Deterministic:
 * OkHttp may write the body again on a retried connection, and gets the same bytes.
 */
final class AwsChunkedPayload extends RequestBody {

    static final String CONTENT_SHA256 = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
    private static final String SIGNATURE_FIELD = ";chunk-signature=";
    private static final int SIGNATURE_CHARS = 64;
    private static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private final PartFeed feed;
    private final int length;
    private final long idleMillis;
    private final int chunkBytes;
    private final MediaType type;
    private final ZonedDateTime date;
    private final String region;
    private final String secretKey;
    private final String seedSignature;

    /**
     * @param feed          the part's bytes, sent as they become available
     * @param idleMillis    how long to wait for the part's next bytes before giving up
     * @param seedSignature the signature of the request that carries this body (signed with
     *                      {@link #CONTENT_SHA256} as its payload hash)
     */
    AwsChunkedPayload(PartFeed feed, long idleMillis, int chunkBytes, MediaType type, ZonedDateTime date,
                      String region, String secretKey, String seedSignature) {
        if (chunkBytes < 8192) {
            throw new IllegalArgumentException("S3 needs chunks of at least 8 KiB, got " + chunkBytes);
        }
        this.feed = feed;
        this.length = feed.length();
        this.idleMillis = idleMillis;
        this.chunkBytes = chunkBytes;
        this.type = type;
        this.date = date;
        this.region = region;
        this.secretKey = secretKey;
        this.seedSignature = seedSignature;
    }

    /** The encoded length of {@code length} payload bytes sent in chunks of {@code chunkBytes}. */
    static long encodedLength(long length, int chunkBytes) {
        long full = length / chunkBytes;
        int rest = (int) (length % chunkBytes);
        long total = full * chunkOverhead(chunkBytes) + length + chunkOverhead(0);
        return rest > 0 ? total + chunkOverhead(rest) : total;
    }

    /** Bytes around a chunk of {@code n} bytes: "hex(n);chunk-signature=sig\r\n" + data + "\r\n". */
    private static int chunkOverhead(int n) {
        return Integer.toHexString(n).length() + SIGNATURE_FIELD.length() + SIGNATURE_CHARS + 4;
    }

    @Override
    public MediaType contentType() {
        return type;
    }

    @Override
    public long contentLength() {
        return encodedLength(length, chunkBytes);
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
        MessageDigest sha256 = sha256();
        byte[] data = new byte[Math.min(chunkBytes, length)];
        String previous = seedSignature;
        for (int offset = 0; offset < length; offset += chunkBytes) {
            int n = Math.min(chunkBytes, length - offset);
            // A chunk's signature covers its bytes and comes before them: wait for the whole chunk.
            feed.awaitAvailable(offset + n, idleMillis, TimeUnit.MILLISECONDS);
            feed.read(offset, data, 0, n);
            sha256.update(data, 0, n);
            previous = writeChunk(sink, HexFormat.of().formatHex(sha256.digest()), n, previous);
            sink.write(data, 0, n);
            sink.writeUtf8("\r\n");
        }
        writeChunk(sink, EMPTY_SHA256, 0, previous);
        sink.writeUtf8("\r\n");
    }

    private String writeChunk(BufferedSink sink, String chunkSha256, int n, String previous) throws IOException {
        String signature = chunkSignature(chunkSha256, previous);
        sink.writeUtf8(Integer.toHexString(n)).writeUtf8(SIGNATURE_FIELD).writeUtf8(signature).writeUtf8("\r\n");
        return signature;
    }

    /** The SDK's own chunk signer: HMAC over the chunk's SHA-256 and the previous signature, with the date's key. */
    private String chunkSignature(String chunkSha256, String previous) throws IOException {
        try {
            return Signer.getChunkSignature(chunkSha256, date, region, secretKey, previous);
        } catch (GeneralSecurityException e) {
            throw new IOException("Could not sign a chunk of the part", e);
        }
    }

    /** The signature of a request signed by the SDK, taken from its Authorization header. */
    static String signatureOf(String authorization) {
        int at = authorization == null ? -1 : authorization.lastIndexOf("Signature=");
        if (at < 0) {
            throw new IllegalStateException("The signed request has no signature: " + authorization);
        }
        return authorization.substring(at + "Signature=".length()).trim();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("This JVM has no SHA-256", e);
        }
    }
}
