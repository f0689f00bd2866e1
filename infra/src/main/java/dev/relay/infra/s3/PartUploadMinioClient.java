package dev.relay.infra.s3;

import dev.relay.streaming.port.PartFeed;
import com.google.common.collect.ImmutableMultimap;
import io.minio.MinioAsyncClient;
import io.minio.ObjectWriteResponse;
import io.minio.Signer;
import io.minio.Time;
import io.minio.UploadPartResponse;
import io.minio.credentials.Credentials;
import io.minio.errors.InsufficientDataException;
import io.minio.errors.InternalException;
import io.minio.http.Method;
import java.io.IOException;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.ZonedDateTime;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okio.BufferedSink;

/**
 * The MinIO client, except for how parts are sent: as they arrive ({@link #uploadPartAsync(String, String, String,
 * int, PartFeed)}), without a {@code Content-MD5} header and, over plain HTTP, in S3's signed streaming format
 * ({@link AwsChunkedPayload}).
 *
 * <p>For a byte array the SDK hashes every part twice before sending a byte, MD5 for {@code Content-MD5} and, over
 * plain HTTP, SHA-256 for the signature; the server then has to hold the whole part before it can check that
 * SHA-256 (S3Proxy buffers it, hashes it, then writes it). MD5 runs at about half the speed of SHA-256 here (0.7
 * against 1.5 GB/s, SHA-NI), so it was a fifth of the service's CPU per uploaded byte, and the store-and-check made
 * every part wait. Now each byte is hashed once, while it is sent, the server checks and stores the part as it
 * arrives, and a part's request can start with its first bytes. The part stays protected: over HTTP by its chunk
 * signatures, which S3 checks; over HTTPS as the SDK's own multipart uploads do, {@code UNSIGNED-PAYLOAD} under TLS.
 * (A bucket with S3 Object Lock retention demands Content-MD5 on uploads; Relay's bucket is not meant to have it.)
 */
public final class PartUploadMinioClient extends MinioAsyncClient {

    /** Bytes per signed chunk; S3 needs at least 8 KiB, and AWS's own SDKs send 128 KiB. */
    static final int SIGNED_CHUNK_BYTES = 128 * 1024;
    /**
     * How long a part's request waits for the next bytes: less than S3's own idle limit (about 20 s on AWS), so the
     * request ends on our terms and the engine sends the part whole once it has it.
     */
    static final long FEED_IDLE_MILLIS = 10_000;

    /**
     * Feeds being handed to {@link #createRequest}, by the placeholder the SDK passes through as the request's body
     * (an empty array of their own: arrays compare by identity).
     */
    private final Map<byte[], PartFeed> feeds = new ConcurrentHashMap<>();

    public PartUploadMinioClient(MinioAsyncClient client) {
        super(client);
    }

    /** Uploads a part whose bytes may still be arriving: the request starts now and sends them as they come. */
    public CompletableFuture<UploadPartResponse> uploadPartAsync(String bucket, String key, String uploadId,
                                                                 int partNumber, PartFeed feed) throws Exception {
        byte[] body = new byte[0];
        feeds.put(body, feed);
        try {
            return uploadPartAsync(bucket, null, key, body, feed.length(), uploadId, partNumber, null, null)
                    .whenComplete((response, error) -> feeds.remove(body));
        } catch (Exception | Error e) {
            feeds.remove(body);
            throw e;
        }
    }

    /** Writes a whole object from a complete feed, read as it is sent (never copied into memory whole). */
    public CompletableFuture<ObjectWriteResponse> putObjectAsync(String bucket, String key, PartFeed feed,
                                                                 String contentType) throws Exception {
        byte[] body = new byte[0];
        feeds.put(body, feed);
        try {
            return putObjectAsync(bucket, null, key, body, feed.length(),
                    ImmutableMultimap.of("Content-Type", contentType), null)
                    .whenComplete((response, error) -> feeds.remove(body));
        } catch (Exception | Error e) {
            feeds.remove(body);
            throw e;
        }
    }

    @Override
    protected Request createRequest(HttpUrl url, Method method, Headers headers, Object body, int length,
                                    Credentials creds)
            throws InsufficientDataException, InternalException, IOException, NoSuchAlgorithmException {
        PartFeed feed = body instanceof byte[] placeholder ? feeds.remove(placeholder) : null;
        boolean part = body instanceof byte[] && method == Method.PUT && url.queryParameter("partNumber") != null
                && url.queryParameter("uploadId") != null;
        if (feed == null && !part) {
            return super.createRequest(url, method, headers, body, length, creds);
        }
        if (feed == null) {
            feed = PartFeed.whole((byte[]) body, length);
        }
        boolean whole = feed.complete();
        // Everything but the payload as the SDK builds it (hashing an empty body costs nothing), then the payload.
        Request request = super.createRequest(url, method, headers, new byte[0], 0, creds);
        Request.Builder builder = request.newBuilder().removeHeader("Content-MD5");
        MediaType type = request.body() == null ? null : request.body().contentType();
        if (creds == null || url.isHttps()) {
            return builder.method(method.toString(), new FeedBody(feed, type)).build();
        }
        if (region == null || region.isEmpty()) {
            // Chunk signatures need the region the request is signed for. Without a configured one a whole part is
            // signed as a whole, as the SDK would; a part still arriving cannot be (the engine then sends it whole).
            if (!whole) {
                throw new IOException("Parts are streamed in signed chunks, which need the bucket's region");
            }
            builder.header("x-amz-content-sha256", sha256Hex(feed));
            return builder.method(method.toString(), new FeedBody(feed, type)).build();
        }
        Request streaming = builder
                .header("x-amz-content-sha256", AwsChunkedPayload.CONTENT_SHA256)
                .header("Content-Encoding", "aws-chunked")
                .header("x-amz-decoded-content-length", Integer.toString(length))
                .build();
        // The SDK signs the returned request right after this with the same date, region and keys, so this seed
        // signature is the one it will send (a mismatch would be refused by S3, never accepted).
        ZonedDateTime date = ZonedDateTime.parse(streaming.header("x-amz-date"), Time.AMZ_DATE_FORMAT);
        String seed;
        try {
            seed = AwsChunkedPayload.signatureOf(Signer.signV4S3(streaming, region, creds.accessKey(),
                    creds.secretKey(), AwsChunkedPayload.CONTENT_SHA256).header("Authorization"));
        } catch (InvalidKeyException e) {
            throw new IOException("Could not sign the part upload", e);
        }
        return streaming.newBuilder().method(method.toString(), new AwsChunkedPayload(feed, FEED_IDLE_MILLIS,
                SIGNED_CHUNK_BYTES, type, date, region, creds.secretKey(), seed)).build();
    }

    /** The SHA-256 of a complete feed, read in chunks (a whole part signed as a whole, as the SDK would). */
    private static String sha256Hex(PartFeed feed) throws IOException {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[Math.min(SIGNED_CHUNK_BYTES, feed.length())];
        for (int at = 0; at < feed.length(); at += buffer.length) {
            int n = Math.min(buffer.length, feed.length() - at);
            feed.read(at, buffer, 0, n);
            sha256.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(sha256.digest());
    }

    /** An unsigned payload (HTTPS, or no credentials), sent as it arrives. */
    private static final class FeedBody extends RequestBody {
        private final PartFeed feed;
        private final MediaType type;

        FeedBody(PartFeed feed, MediaType type) {
            this.feed = feed;
            this.type = type;
        }

        @Override
        public MediaType contentType() {
            return type;
        }

        @Override
        public long contentLength() {
            return feed.length();
        }

        @Override
        public void writeTo(BufferedSink sink) throws IOException {
            byte[] buffer = new byte[Math.min(SIGNED_CHUNK_BYTES, feed.length())];
            int sent = 0;
            while (sent < feed.length()) {
                int available = feed.awaitAvailable(sent + 1, FEED_IDLE_MILLIS, TimeUnit.MILLISECONDS);
                while (sent < available) {
                    int n = Math.min(buffer.length, available - sent);
                    feed.read(sent, buffer, 0, n);
                    sink.write(buffer, 0, n);
                    sent += n;
                }
                sink.flush();
            }
        }
    }
}
