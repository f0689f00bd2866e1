package dev.relay.infra.s3;

import dev.relay.infra.testing.TestServices;
import dev.relay.streaming.port.ObjectStore.StoredPart;
import dev.relay.streaming.port.StorageUnavailableException;
import io.minio.MinioAsyncClient;
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

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The S3 adapter against a real S3 server (S3Proxy): the calls the engine relies on, and how failures read. */
class MinioObjectStoreIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static MinioObjectStore store;

    @BeforeAll
    static void connect() {
        TestServices services = TestServices.get();
        MinioAsyncClient client = new PartUploadMinioClient(MinioAsyncClient.builder()
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
