package dev.relay.web.support;

import dev.relay.api.wire.AuthToken;
import dev.relay.client.RelayAuth;
import dev.relay.client.RelayClient;
import dev.relay.infra.testing.TestServices;
import io.minio.MinioClient;
import org.junit.jupiter.api.AfterEach;
import static org.assertj.core.api.Assertions.assertThat;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.UUID;
import java.util.function.Predicate;
import java.time.Duration;
import dev.relay.api.wire.UploadInfo;
import dev.relay.infra.testing.TestFiles;
import reactor.core.publisher.Mono;

/**
 * Base of the service's integration tests: the real application on a random port, against the real MariaDB and S3
 * server of {@link TestServices}, reached through real RSocket-over-WebSocket connections.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "relay.embedded.enabled=false",
        "relay.transfer.part-size=5MB",
        "relay.transfer.max-chunk-size=256KB",
        "relay.transfer.credit-window=1MB",
        // Pinned: the tests bound what flows after a pause by the window; adaptation has its own unit tests.
        "relay.transfer.credit-window-max=1MB",
        "relay.transfer.storage-retry-timeout=20s",
        "relay.transfer.expiry-sweep-interval=1h"})
public abstract class ServiceIntegrationTest {

    public static final int CHUNK = 256 * 1024;
    public static final long PART = 5L * 1024 * 1024;
    public static final long WINDOW = 1024 * 1024;

    @LocalServerPort
    protected int port;

    private final List<RelayClient> clients = new ArrayList<>();

    static {
        NoBlockingOnEventLoops.install();
    }

    /**
     * Properties a test class replaces (its own database, say): a subclass's {@code @DynamicPropertySource} cannot
     * override the keys registered here, so it puts its values here instead (they are read when its context starts)
     * and clears them after its tests.
     */
    protected static final Map<String, Supplier<Object>> OVERRIDES = new ConcurrentHashMap<>();

    @DynamicPropertySource
    static void services(DynamicPropertyRegistry registry) {
        TestServices.get().springProperties().forEach((key, value) -> registry.add(key,
                () -> OVERRIDES.containsKey(key) ? OVERRIDES.get(key).get() : value));
    }

    @AfterEach
    void closeClientsAndCheckForBlocking() {
        clients.forEach(RelayClient::close);
        clients.clear();
        assertThat(NoBlockingOnEventLoops.drain()).as("blocking calls on event-loop threads").isEmpty();
    }

    protected URI http() {
        return URI.create("http://127.0.0.1:" + port);
    }

    protected URI ws() {
        return URI.create("ws://127.0.0.1:" + port + "/rsocket");
    }

    /** Registers a fresh user and returns its token. */
    protected AuthToken newUser() {
        String name = "u" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        return new RelayAuth(http()).register(name, "correct horse battery").block();
    }

    protected RelayClient client(AuthToken token) {
        RelayClient client = RelayClient.connect(ws(), token.token());
        clients.add(client);
        return client;
    }

    /** Asks for the upload's state every 50 ms until it satisfies {@code condition} (a test waits; clients don't). */
    protected static UploadInfo awaitUpload(RelayClient client, String id, Predicate<UploadInfo> condition,
                                            Duration timeout) {
        return Mono.delay(Duration.ofMillis(50)).repeat().concatMap(t -> client.upload(id)).filter(condition)
                .blockFirst(timeout);
    }

    /** Waits until {@code list} (filled by another thread) has an element, and returns the first. */
    protected static <T> T awaitFirst(List<T> list, Duration timeout) {
        Mono.delay(Duration.ofMillis(50)).repeat().takeUntil(t -> !list.isEmpty()).blockLast(timeout);
        return list.get(0);
    }

    /** A file of pseudo-random bytes under target/, deleted with the build directory. */
    protected static Path randomFile(long size, long seed) throws IOException {
        return TestFiles.random(size, seed);
    }

    protected static MinioClient s3() {
        TestServices services = TestServices.get();
        return MinioClient.builder().endpoint(services.s3Endpoint()).region("us-east-1")
                .credentials(services.s3AccessKey(), services.s3SecretKey()).build();
    }

    /** The multipart uploads in progress for a file key, straight from the S3 server. */
    protected static List<String> multipartUploadsOf(String key) throws Exception {
        TestServices services = TestServices.get();
        var client = new io.minio.MinioAsyncClient.Builder().endpoint(services.s3Endpoint()).region("us-east-1")
                .credentials(services.s3AccessKey(), services.s3SecretKey()).build();
        var page = client.listMultipartUploadsAsync(services.s3Bucket(), null, null, null, null, 1000, key, null,
                null, null).get();
        List<String> ids = new ArrayList<>();
        page.result().uploads().forEach(u -> ids.add(u.uploadId()));
        return ids;
    }
}
