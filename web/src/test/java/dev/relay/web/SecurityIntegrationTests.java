package dev.relay.web;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.AuthToken;
import dev.relay.client.RelayAuth;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import dev.relay.web.support.ServiceIntegrationTest;
import io.rsocket.exceptions.RejectedSetupException;
import org.junit.jupiter.api.Test;
import reactor.util.retry.Retry;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecurityIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aConnectionWithoutATokenIsRejected() {
        RelayClient anonymous = RelayClient.connect(ws(), null, Retry.backoff(0, Duration.ofMillis(1)));
        assertThatThrownBy(() -> anonymous.uploads().collectList().block(TIMEOUT))
                .isInstanceOf(RelayException.class)
                .satisfies(e -> assertThat(((RelayException) e).code()).isEqualTo(ErrorCode.UNAUTHENTICATED))
                .cause().isInstanceOf(RejectedSetupException.class)
                .hasMessageStartingWith("{\"code\":\"UNAUTHENTICATED\"");
    }

    @Test
    void aForgedOrGarbledTokenIsRejected() {
        AuthToken real = newUser();
        String[] parts = real.token().split("\\.");
        String forged = parts[0] + "." + parts[1] + "." + "A".repeat(parts[2].length());
        for (String token : new String[]{forged, "not-a-jwt"}) {
            RelayClient client = RelayClient.connect(ws(), token, Retry.backoff(0, Duration.ofMillis(1)));
            assertThatThrownBy(() -> client.uploads().collectList().block(TIMEOUT))
                    .isInstanceOf(RelayException.class)
                    .satisfies(e -> assertThat(((RelayException) e).code()).isEqualTo(ErrorCode.UNAUTHENTICATED));
        }
    }

    @Test
    void httpWithoutATokenGetsA401WithAJsonBody() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(http().resolve("/api/files/x/content"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body()).contains("\"code\":\"UNAUTHENTICATED\"");
    }

    @Test
    void registrationAndLoginValidateAndAnswerWithCodes() {
        RelayAuth auth = new RelayAuth(http());
        AuthToken token = newUser();
        assertThat(auth.login(token.username(), "correct horse battery").block(TIMEOUT).userId())
                .isEqualTo(token.userId());
        assertCode(() -> auth.login(token.username(), "wrong password"), ErrorCode.UNAUTHENTICATED);
        assertCode(() -> auth.login("nobody-here", "whatever123"), ErrorCode.UNAUTHENTICATED);
        assertCode(() -> auth.register(token.username().toUpperCase(), "another password"), ErrorCode.CONFLICT);
        assertCode(() -> auth.register("x", "long enough password"), ErrorCode.INVALID_REQUEST);
        assertCode(() -> auth.register("valid-name", "short"), ErrorCode.INVALID_REQUEST);
    }

    @Test
    void aWebSocketFromAForeignOriginIsRefusedButTheSameOriginAndNoOriginAreAllowed() {
        assertThatThrownBy(() -> webSocket("http://evil.example"))
                .isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(WebSocketHandshakeException.class)
                .satisfies(e -> assertThat(((WebSocketHandshakeException) e).getResponse().statusCode())
                        .isEqualTo(403));
        assertThat(webSocket("http://127.0.0.1:" + port)).isNotNull();
        assertThat(webSocket(null)).isNotNull();
    }

    private WebSocket webSocket(String origin) {
        WebSocket.Builder builder = http.newWebSocketBuilder();
        if (origin != null) {
            builder.header("Origin", origin);
        }
        WebSocket socket = builder.buildAsync(URI.create(ws().toString()), new WebSocket.Listener() { }).join();
        socket.abort();
        return socket;
    }

    private static void assertCode(Supplier<Mono<?>> call, ErrorCode code) {
        assertThatThrownBy(() -> call.get().block(TIMEOUT))
                .isInstanceOf(RelayException.class)
                .satisfies(e -> assertThat(((RelayException) e).code()).isEqualTo(code));
    }
}
