package dev.relay.web;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.UploadInfo;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DownloadIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private AuthToken owner;
    private UploadInfo file;
    private byte[] bytes;

    @BeforeAll
    void uploadOnce() throws Exception {
        owner = newUser();
        Path path = randomFile(PART + 3 * CHUNK + 17, 21);
        bytes = Files.readAllBytes(path);
        try (RelayClient client = RelayClient.connect(ws(), owner.token())) {
            file = new FileTransfers(client).upload(path, "text/plain", e -> { }).block(TIMEOUT);
        }
    }

    @Test
    void readingFromAnOffsetReturnsExactlyTheRestOfTheFile() {
        long offset = PART - 5;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        client(owner).read(file.id(), offset).doOnNext(b -> out.write(b.array(), b.arrayOffset() + b.position(),
                b.remaining())).blockLast(TIMEOUT);
        assertThat(out.toByteArray()).isEqualTo(Arrays.copyOfRange(bytes, (int) offset, bytes.length));
    }

    @Test
    void anOffsetBeyondTheEndIsRejected() {
        assertThatThrownBy(() -> client(owner).read(file.id(), bytes.length + 1L).blockLast(TIMEOUT))
                .isInstanceOf(RelayException.class)
                .satisfies(e -> assertThat(((RelayException) e).code()).isEqualTo(ErrorCode.INVALID_REQUEST));
    }

    @Test
    void aDownloadPausesWhileTheClientRequestsNothingAndResumesWhenItDoes() throws Exception {
        AtomicLong received = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        BaseSubscriber<ByteBuffer> reader = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                request(2);
            }

            @Override
            protected void hookOnNext(ByteBuffer value) {
                received.addAndGet(value.remaining());
            }

            @Override
            protected void hookOnComplete() {
                done.countDown();
            }
        };
        client(owner).read(file.id(), 0).subscribe(reader);

        Thread.sleep(1500);
        assertThat(received.get()).as("only what was requested arrives").isEqualTo(2L * CHUNK);
        reader.request(Long.MAX_VALUE);
        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(received.get()).isEqualTo(bytes.length);
    }

    @Test
    void httpDownloadsServeRangesWithTheFileName() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest.Builder request = HttpRequest.newBuilder(http().resolve("/api/files/" + file.id() + "/content"))
                .header("Authorization", "Bearer " + owner.token());

        HttpResponse<byte[]> whole = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.body()).isEqualTo(bytes);
        assertThat(whole.headers().firstValue("Content-Disposition").orElseThrow()).contains(file.name());
        assertThat(whole.headers().firstValue("Accept-Ranges")).hasValue("bytes");

        HttpResponse<byte[]> part = http.send(request.copy().header("Range", "bytes=1000-1999").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(part.headers().firstValue("Content-Range")).hasValue("bytes 1000-1999/" + bytes.length);
        assertThat(part.body()).isEqualTo(Arrays.copyOfRange(bytes, 1000, 2000));

        HttpResponse<byte[]> tail = http.send(request.copy().header("Range", "bytes=-10").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(bytes, bytes.length - 10, bytes.length));

        HttpResponse<String> outside = http.send(request.copy().header("Range", "bytes=" + bytes.length + "-")
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(outside.statusCode()).isEqualTo(416);
        assertThat(outside.body()).contains("INVALID_REQUEST");
    }

    @Test
    void anotherUserCannotDownloadTheFile() throws Exception {
        AuthToken stranger = newUser();
        assertThatThrownBy(() -> client(stranger).read(file.id(), 0).blockLast(TIMEOUT))
                .isInstanceOf(RelayException.class)
                .satisfies(e -> assertThat(((RelayException) e).code()).isEqualTo(ErrorCode.NOT_FOUND));
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        http().resolve("/api/files/" + file.id() + "/content"))
                .header("Authorization", "Bearer " + stranger.token()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).contains("NOT_FOUND");
    }

    @Test
    void aDownloadLinkServesTheFileWithRangesWithoutAHeaderAndNothingElse() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> issued = http.send(HttpRequest.newBuilder(
                        http().resolve("/api/files/" + file.id() + "/link"))
                .header("Authorization", "Bearer " + owner.token())
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(issued.statusCode()).isEqualTo(200);
        String url = issued.body().replaceAll(".*\"url\":\"([^\"]+)\".*", "$1");
        assertThat(url).startsWith("/api/files/" + file.id() + "/content?link=");

        HttpResponse<byte[]> part = http.send(HttpRequest.newBuilder(http().resolve(url))
                .header("Range", "bytes=10-19").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(part.body()).isEqualTo(Arrays.copyOfRange(bytes, 10, 20));
        assertThat(part.headers().firstValue("Content-Disposition").orElseThrow()).contains(file.name());

        String token = url.substring(url.indexOf("link=") + 5);
        // The link is for this file only, is no bearer token, and nothing is served without one or the other.
        assertThat(status(http, "/api/files/" + UUID.randomUUID() + "/content?link=" + token, null)).isEqualTo(401);
        assertThat(status(http, "/api/files/" + file.id() + "/content", token)).isEqualTo(401);
        assertThat(status(http, "/api/files/" + file.id() + "/content", null)).isEqualTo(401);
        assertThat(status(http, "/api/files/" + file.id() + "/content?link=forged", null)).isEqualTo(401);
        // A user who cannot see the file gets no link for it.
        AuthToken stranger = newUser();
        assertThat(http.send(HttpRequest.newBuilder(http().resolve("/api/files/" + file.id() + "/link"))
                .header("Authorization", "Bearer " + stranger.token())
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode()).isEqualTo(404);
    }

    private int status(HttpClient http, String path, String bearer) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(http().resolve(path));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
