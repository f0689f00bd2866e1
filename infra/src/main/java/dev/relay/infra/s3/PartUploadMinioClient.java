package dev.relay.infra.s3;

import dev.relay.streaming.port.PartFeed;
import io.minio.Digest;
import io.minio.MinioAsyncClient;
import io.minio.Signer;
import io.minio.Time;
import io.minio.UploadPartResponse;
import io.minio.credentials.Credentials;
import io.minio.errors.InsufficientDataException;
import io.minio.errors.InternalException;
import io.minio.http.Method;
import java.io.IOException;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.ZonedDateTime;
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

    /** Parts being handed to {@link #createRequest}, by their buffer (arrays compare by identity). */
    private final Map<byte[], PartFeed> feeds = new ConcurrentHashMap<>();

    public PartUploadMinioClient(MinioAsyncClient client) {
        super(client);
    }

    /** Uploads a part whose bytes may still be arriving: the request starts now and sends them as they come. */
    public CompletableFuture<UploadPartResponse> uploadPartAsync(String bucket, String key, String uploadId,
                                                                 int partNumber, PartFeed feed) throws Exception {
        feeds.put(feed.data(), feed);
        try {
            return uploadPartAsync(bucket, null, key, feed.data(), feed.length(), uploadId, partNumber, null, null)
                    .whenComplete((response, error) -> feeds.remove(feed.data(), feed));
        } catch (Exception | Error e) {
            feeds.remove(feed.data(), feed);
            throw e;
        }
    }

    @Override
    protected Request createRequest(HttpUrl url, Method method, Headers headers, Object body, int length,
                                    Credentials creds)
            throws InsufficientDataException, InternalException, IOException, NoSuchAlgorithmException {
        if (!(body instanceof byte[] bytes) || method != Method.PUT || url.queryParameter("partNumber") == null
                || url.queryParameter("uploadId") == null) {
            return super.createRequest(url, method, headers, body, length, creds);
        }
        PartFeed feed = feeds.remove(bytes);
        boolean whole = feed == null;
        if (whole) {
            feed = new PartFeed(bytes, length);
            feed.advance(length);
        }
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
            builder.header("x-amz-content-sha256", Digest.sha256Hash(bytes, length));
            return builder.method(method.toString(), RequestBody.create(bytes, type, 0, length)).build();
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
            int sent = 0;
            while (sent < feed.length()) {
                int available = feed.awaitAvailable(sent + 1, FEED_IDLE_MILLIS, TimeUnit.MILLISECONDS);
                sink.write(feed.data(), sent, available - sent);
                sink.flush();
                sent = available;
            }
        }
    }
}
