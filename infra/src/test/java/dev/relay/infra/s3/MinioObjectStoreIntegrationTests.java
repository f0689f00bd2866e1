package dev.relay.infra.s3;

import dev.relay.infra.testing.TestServices;
import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.PartFeed;
import dev.relay.streaming.port.StorageUnavailableException;
import dev.relay.streaming.port.StreamedPartUpload;
import dev.relay.streaming.testing.ObjectStoreContract;
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

import java.time.Duration;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The S3 adapter against a real S3 server (S3Proxy): the calls the engine relies on ({@link ObjectStoreContract}),
 * and what is the adapter's own: parts in signed chunks, and how the SDK's failures read.
 */
class MinioObjectStoreIntegrationTests implements ObjectStoreContract {

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

    @Override
    public ObjectStore store() {
        return store;
    }

    @Override
    public StreamedPartUpload streamed() {
        return store;
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

    /**
     * Parts streaming in hold their request slots while their clients send: with room for one such part, a second
     * fails at once (the engine then sends it whole), and other requests still go through meanwhile.
     */
    @Test
    void partsStreamingInTakeAtMostHalfTheRequestSlots() throws Exception {
        MinioObjectStore twoSlots = new MinioObjectStore(client, TestServices.get().s3Bucket(), 2);
        String key = "files/" + UUID.randomUUID();
        String uploadId = twoSlots.createMultipartUpload(key, null).block(TIMEOUT);
        byte[] data = new byte[300_000];
        new Random(12).nextBytes(data);
        PartFeed slow = PartFeed.over(data, data.length);
        slow.advance(1000);
        var first = twoSlots.uploadPart(key, uploadId, 1, slow).toFuture();

        PartFeed second = PartFeed.over(data, data.length);
        second.advance(data.length);
        assertThatThrownBy(() -> twoSlots.uploadPart(key, uploadId, 2, second).block(Duration.ofSeconds(5)))
                .hasMessageContaining("request slots");
        assertThat(twoSlots.uploadPart(key, uploadId, 2, data, data.length).block(TIMEOUT))
                .as("a whole part meanwhile").isNotBlank();

        slow.advance(data.length);
        assertThat(first.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isNotBlank();
        PartFeed third = PartFeed.over(data, data.length);
        third.advance(data.length);
        // The slot is given back just after the answer reached the caller.
        assertThat(twoSlots.uploadPart(key, uploadId, 3, third)
                .retryWhen(reactor.util.retry.Retry.fixedDelay(20, Duration.ofMillis(50))).block(TIMEOUT))
                .as("its slot is free again").isNotBlank();
        twoSlots.abortMultipartUpload(key, uploadId).block(TIMEOUT);
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
}
