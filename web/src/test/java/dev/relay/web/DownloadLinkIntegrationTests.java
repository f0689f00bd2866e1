package dev.relay.web;

import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.UploadInfo;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import reactor.core.publisher.Mono;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.TestPropertySource;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Download links are for one download: the first request binds the link to its client's address, and that client
 * may go on with ranges while it keeps using it (the window); anyone else is refused, and the link's rows are pruned
 * once it has expired. Another client connects from 127.0.0.2 (all of 127/8 is loopback).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(OutputCaptureExtension.class)
@TestPropertySource(properties = {"relay.security.download-link-window=2s", "relay.security.download-link-ttl=6s",
        // Both logs that would show a link's URI: the access log, and Spring's request log (at DEBUG; at ERROR it
        // logs the same for a download that fails after its headers went out).
        "relay.http.access-log=true",
        "logging.level.org.springframework.web.server.adapter.HttpWebHandlerAdapter=DEBUG"})
class DownloadLinkIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final HttpClient http = HttpClient.newHttpClient();
    private AuthToken owner;
    private UploadInfo file;
    private byte[] bytes;

    @Autowired
    private DatabaseClient db;

    @BeforeAll
    void uploadOnce() throws Exception {
        owner = newUser();
        Path path = randomFile(100_000, 7);
        bytes = Files.readAllBytes(path);
        try (RelayClient client = RelayClient.connect(ws(), owner.token())) {
            file = new FileTransfers(client).upload(path, "application/pdf", e -> { }).block(TIMEOUT);
        }
    }

    @Test
    void theFirstClientMayFetchRangesAndNoOneElseMay() throws Exception {
        String url = link();
        HttpResponse<byte[]> first = get("127.0.0.1", url, "bytes=0-9");
        assertThat(first.statusCode()).isEqualTo(206);
        assertThat(first.body()).isEqualTo(Arrays.copyOfRange(bytes, 0, 10));
        HttpResponse<byte[]> resumed = get("127.0.0.1", url, "bytes=10-");
        assertThat(resumed.statusCode()).isEqualTo(206);
        assertThat(resumed.body()).isEqualTo(Arrays.copyOfRange(bytes, 10, bytes.length));

        String other = getFrom("127.0.0.2", url);
        assertThat(other).startsWith("HTTP/1.1 401").contains("\"code\":\"UNAUTHENTICATED\"").contains("already used");
        // The owner's own download goes on; and the other client is refused for being another client only.
        assertThat(get("127.0.0.1", url, "bytes=0-0").statusCode()).isEqualTo(206);
        assertThat(getFrom("127.0.0.2", link())).startsWith("HTTP/1.1 200");
    }

    @Test
    void aLinkLapsesWhenItsClientStopsUsingItForTheWindow() throws Exception {
        String url = link();
        assertThat(get("127.0.0.1", url, null).statusCode()).isEqualTo(200);
        Thread.sleep(1200);
        assertThat(get("127.0.0.1", url, "bytes=5-").statusCode()).as("within the window of the last use")
                .isEqualTo(206);
        Thread.sleep(2500);
        HttpResponse<byte[]> late = get("127.0.0.1", url, "bytes=5-");
        assertThat(late.statusCode()).isEqualTo(401);
        assertThat(new String(late.body())).contains("\"code\":\"UNAUTHENTICATED\"");
    }

    @Test
    void usedLinksAreForgottenOnceExpired() throws Exception {
        assertThat(get("127.0.0.1", link(), null).statusCode()).isEqualTo(200);
        Thread.sleep(7000);
        assertThat(expiredRows()).as("an expired link's row before the next first use").isPositive();
        // The next first use of any link prunes the rows of expired links.
        assertThat(get("127.0.0.1", link(), null).statusCode()).isEqualTo(200);
        assertThat(expiredRows()).isZero();
    }

    @Test
    void linkTokensStayOutOfTheLogs(CapturedOutput output) throws Exception {
        String url = link();
        String token = url.substring(url.indexOf("link=") + 5);
        assertThat(get("127.0.0.1", url, "bytes=0-9").statusCode()).isEqualTo(206);
        assertThat(getFrom("127.0.0.2", url)).startsWith("HTTP/1.1 401");
        String logged = "GET /api/files/" + file.id() + "/content?link=redacted HTTP/1.1\" 401";
        Mono.delay(Duration.ofMillis(50)).repeat().takeUntil(t -> output.getAll().contains(logged))
                .blockLast(Duration.ofSeconds(10));
        assertThat(output.getAll()).as("the access log").contains(logged)
                .as("Spring's request log").contains("HTTP GET \"/api/files/" + file.id() + "/content?link=redacted\"")
                .doesNotContain(token);
    }

    /** Rows of links that expired over a second ago (a second of margin for this test's own timing). */
    private long expiredRows() {
        return db.sql("SELECT COUNT(*) AS n FROM download_links WHERE expires_at < UTC_TIMESTAMP(6) - INTERVAL 1"
                        + " SECOND").map(r -> r.get("n", Number.class).longValue()).one().block(TIMEOUT);
    }

    private String link() throws Exception {
        HttpResponse<String> issued = http.send(HttpRequest.newBuilder(http().resolve("/api/files/" + file.id()
                        + "/link")).header("Authorization", "Bearer " + owner.token())
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(issued.statusCode()).isEqualTo(200);
        return issued.body().replaceAll(".*\"url\":\"([^\"]+)\".*", "$1");
    }

    /** A GET from another client: a socket bound to {@code address} (loopback answers from 127.0.0.1 otherwise). */
    private String getFrom(String address, String url) throws Exception {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(address, 0));
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(("GET " + url + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private HttpResponse<byte[]> get(String host, String url, String range) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + url));
        if (range != null) {
            request.header("Range", range);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
