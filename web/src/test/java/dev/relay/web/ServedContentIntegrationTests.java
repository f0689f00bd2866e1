package dev.relay.web;

import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.UploadInfo;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Uploaded bytes are served so that a browser never runs them in the service's origin: only passive types keep their
 * declared type, everything is an attachment, sniffing is off and the response is sandboxed. The app itself gets a
 * strict Content-Security-Policy.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServedContentIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String SANDBOX = "sandbox; default-src 'none'";

    private final HttpClient http = HttpClient.newHttpClient();
    private AuthToken owner;
    private RelayClient client;

    @BeforeAll
    void owner() {
        owner = newUser();
        client = RelayClient.connect(ws(), owner.token());
    }

    @AfterAll
    void close() {
        client.close();
    }

    @ParameterizedTest(name = "{0} is served as {1}")
    @CsvSource(delimiter = '|', value = {
            "text/html|application/octet-stream",
            "text/html; charset=utf-8|application/octet-stream",
            "image/svg+xml|application/octet-stream",
            "application/xml|application/octet-stream",
            "text/xml|application/octet-stream",
            "text/javascript|application/octet-stream",
            "application/xhtml+xml|application/octet-stream",
            "application/x-shockwave-flash|application/octet-stream",
            "multipart/x-mixed-replace|application/octet-stream",
            "text/css|application/octet-stream",
            "application/octet-stream|application/octet-stream",
            "image/png|image/png",
            "image/jpeg|image/jpeg",
            "image/webp|image/webp",
            "audio/mpeg|audio/mpeg",
            "video/mp4|video/mp4",
            "application/pdf|application/pdf",
            "text/plain|text/plain",
            "text/plain; charset=utf-8|text/plain;charset=utf-8"})
    void contentIsServedAsAPassiveSandboxedAttachment(String declared, String served) throws Exception {
        Path path = Files.createTempFile("served", ".bin");
        Files.writeString(path, "<html><script>alert(document.domain)</script></html>");
        UploadInfo file = new FileTransfers(client).upload(path, declared, e -> { }).block(TIMEOUT);

        HttpResponse<String> response = http.send(HttpRequest.newBuilder(http().resolve("/api/files/" + file.id()
                + "/content")).header("Authorization", "Bearer " + owner.token()).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow().replace(" ", ""))
                .isEqualToIgnoringCase(served.replace(" ", ""));
        assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(response.headers().allValues("Content-Security-Policy")).containsExactly(SANDBOX);
        assertThat(response.headers().firstValue("Content-Disposition").orElseThrow()).startsWith("attachment");
        // The declared type is kept as the file's metadata; only what is served changes.
        assertThat(client.file(file.id()).block(TIMEOUT).contentType()).isEqualTo(declared);
    }

    @Test
    void theAppGetsAStrictContentSecurityPolicy() throws Exception {
        for (String path : new String[]{"/", "/index.html", "/api/auth/me"}) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(http().resolve(path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            String csp = response.headers().firstValue("Content-Security-Policy").orElse("");
            assertThat(csp).as(path).contains("default-src 'self'").contains("frame-ancestors 'none'")
                    .contains("object-src 'none'").contains("base-uri 'self'")
                    .contains("connect-src 'self' ws://127.0.0.1:" + port + " wss://127.0.0.1:" + port)
                    .doesNotContain("script-src 'unsafe-inline'").doesNotContain("sandbox");
            assertThat(response.headers().firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
        }
    }
}
