package dev.relay.infra.s3;

import dev.relay.infra.testing.TestServices;
import dev.relay.streaming.port.ObjectStore.StoredPart;
import dev.relay.streaming.port.PartFeed;
import dev.relay.streaming.port.StorageUnavailableException;
import io.minio.MinioAsyncClient;
import io.minio.Signer;
import io.minio.credentials.Credentials;
import io.minio.http.Method;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.Buffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The S3 adapter against a real S3 server (S3Proxy): the calls the engine relies on, and how failures read. */
class MinioObjectStoreIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static MinioObjectStore store;
    private static PartUploadMinioClient client;

    @BeforeAll
    static void connect() {
        TestServices services = TestServices.get();
        client = new PartUploadMinioClient(MinioAsyncClient.builder()
                .endpoint(services.s3Endpoint()).region("us-east-1")
                .credentials(services.s3AccessKey(), services.s3SecretKey()).build());
        store = new MinioObjectStore(client, services.s3Bucket());
    }

    @Test
    void aMultipartUploadIsListedUntilCompletedAndThenReadsBackByRanges() {
        String key = "files/" + UUID.randomUUID();
        byte[] data = new byte[(5 << 20) + 1000];
        new Random(7).nextBytes(data);
        String uploadId = store.createMultipartUpload(key, "application/octet-stream").block(TIMEOUT);
        String first = store.uploadPart(key, uploadId, 1, data, 5 << 20).block(TIMEOUT);
        byte[] rest = Arrays.copyOfRange(data, 5 << 20, data.length);
        String second = store.uploadPart(key, uploadId, 2, rest, rest.length).block(TIMEOUT);

        assertThat(store.listMultipartUploads(key).collectList().block(TIMEOUT))
                .anySatisfy(p -> assertThat(p.uploadId()).isEqualTo(uploadId));
        store.completeMultipartUpload(key, uploadId, List.of(new StoredPart(1, first), new StoredPart(2, second)))
                .block(TIMEOUT);
        assertThat(store.listMultipartUploads(key).collectList().block(TIMEOUT)).isEmpty();
        assertThat(store.objectSize(key).block(TIMEOUT)).contains((long) data.length);

        byte[] range = store.read(key, 100, 300_000, 64 * 1024).reduce(new byte[0], (a, b) -> concat(a, b))
                .block(TIMEOUT);
        assertThat(range).isEqualTo(Arrays.copyOfRange(data, 100, 300_100));
    }

    /** A part sent while it fills: S3 gets the bytes as they come; an abandoned part's request fails, storing nothing. */
    @Test
    void aPartIsStreamedAsItsBytesArriveAndAnAbandonedOneFails() throws Exception {
        String key = "files/" + UUID.randomUUID();
        String uploadId = store.createMultipartUpload(key, null).block(TIMEOUT);
        byte[] part = new byte[5 << 20];
        new Random(5).nextBytes(part);
        PartFeed feed = new PartFeed(part, part.length);
        CompletableFuture<String> etag = store.uploadPart(key, uploadId, 1, feed).toFuture();
        for (int filled = 0; filled < part.length; ) {
            filled = Math.min(part.length, filled + 300_001);
            feed.advance(filled);
            Thread.sleep(5);
            if (filled < part.length) {
                assertThat(etag).isNotDone();
            }
        }
        String first = etag.get(30, TimeUnit.SECONDS);

        PartFeed abandoned = new PartFeed(new byte[1 << 20], 1 << 20);
        abandoned.advance(200_000);
        CompletableFuture<String> failing = store.uploadPart(key, uploadId, 2, abandoned).toFuture();
        Thread.sleep(200);
        abandoned.abandon();
        assertThatThrownBy(() -> failing.get(30, TimeUnit.SECONDS)).hasMessageContaining("abandoned");

        store.completeMultipartUpload(key, uploadId, List.of(new StoredPart(1, first))).block(TIMEOUT);
        byte[] stored = store.read(key, 0, part.length, 1 << 20).reduce(new byte[0], (a, b) -> concat(a, b))
                .block(TIMEOUT);
        assertThat(stored).isEqualTo(part);
    }

    /** The server checks every chunk signature: a part altered on the way is refused, the original accepted. */
    @Test
    void aPartInSignedChunksIsCheckedByTheServer() throws Exception {
        TestServices services = TestServices.get();
        String key = "files/" + UUID.randomUUID();
        String uploadId = store.createMultipartUpload(key, null).block(TIMEOUT);
        byte[] data = new byte[300_000];
        new Random(11).nextBytes(data);
        HttpUrl url = HttpUrl.get(services.s3Endpoint()).newBuilder().addPathSegment(services.s3Bucket())
                .addPathSegments(key).addQueryParameter("partNumber", "1").addQueryParameter("uploadId", uploadId)
                .build();
        Credentials creds = new Credentials(services.s3AccessKey(), services.s3SecretKey(), null, null);
        Request built = client.createRequest(url, Method.PUT, Headers.of(), data, data.length, creds);
        Request request = Signer.signV4S3(built, "us-east-1", creds.accessKey(), creds.secretKey(),
                built.header("x-amz-content-sha256"));
        Buffer body = new Buffer();
        request.body().writeTo(body);
        byte[] sent = body.readByteArray();
        byte[] altered = sent.clone();
        altered[sent.length / 2] ^= 1; // a payload byte of the second chunk
        OkHttpClient http = new OkHttpClient();
        try (Response refused = http.newCall(request.newBuilder().put(RequestBody.create(altered)).build())
                .execute()) {
            assertThat(refused.code()).isEqualTo(403);
            assertThat(refused.body().string()).contains("SignatureDoesNotMatch");
        }
        try (Response accepted = http.newCall(request.newBuilder().put(RequestBody.create(sent)).build())
                .execute()) {
            assertThat(accepted.code()).isEqualTo(200);
            assertThat(accepted.header("ETag")).isNotBlank();
        }
        store.abortMultipartUpload(key, uploadId).block(TIMEOUT);
    }

    @Test
    void readingFollowsDemand() {
        String key = "files/" + UUID.randomUUID();
        byte[] data = new byte[1 << 20];
        store.putObject(key, data, data.length, null).block(TIMEOUT);
        StepVerifier.create(store.read(key, 0, data.length, 64 * 1024), 2)
                .expectNextCount(2)
                .expectNoEvent(Duration.ofMillis(500))
                .thenRequest(Long.MAX_VALUE)
                .expectNextCount(14)
                .verifyComplete();
    }

    @Test
    void missingThingsAreNotErrorsWhereTheEngineExpectsThemGone() {
        String key = "staging/" + UUID.randomUUID() + ".tail";
        assertThat(store.objectSize(key).block(TIMEOUT)).isEqualTo(Optional.empty());
        store.deleteObject(key).block(TIMEOUT);
        store.abortMultipartUpload("files/" + UUID.randomUUID(), "no-such-upload").block(TIMEOUT);
        assertThatThrownBy(() -> store.getObjectBytes(key, 10).block(TIMEOUT))
                .isNotInstanceOf(StorageUnavailableException.class);
    }

    @Test
    void anUnreachableServerIsReportedAsUnavailable() {
        TestServices.get().stopS3();
        try {
            assertThatThrownBy(() -> store.objectSize("files/x").block(TIMEOUT))
                    .isInstanceOf(StorageUnavailableException.class);
        } finally {
            TestServices.get().startS3();
        }
    }

    private static byte[] concat(byte[] a, ByteBuffer b) {
        byte[] out = Arrays.copyOf(a, a.length + b.remaining());
        b.get(out, a.length, b.remaining());
        return out;
    }
}
