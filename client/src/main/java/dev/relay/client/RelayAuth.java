package dev.relay.client;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.Credentials;
import dev.relay.api.wire.PasswordChange;
import dev.relay.api.wire.ErrorBody;
import reactor.core.publisher.Mono;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The HTTP half of the client: register and log in to obtain a token, change the password. */
public final class RelayAuth {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final URI baseUri;

    /** @param baseUri the service's HTTP base, for example {@code http://localhost:8080} */
    public RelayAuth(URI baseUri) {
        this.baseUri = baseUri;
    }

    public Mono<AuthToken> register(String username, String password) {
        return post("/api/auth/register", new Credentials(username, password));
    }

    /** Registers with an invite code, or with the setup token to become the first administrator. */
    public Mono<AuthToken> register(String username, String password, String invite) {
        return post("/api/auth/register", new Credentials(username, password, invite));
    }

    public Mono<AuthToken> login(String username, String password) {
        return post("/api/auth/login", new Credentials(username, password));
    }

    /** Changes the password of the token's user; the answer is a new token, and every older one is revoked. */
    public Mono<AuthToken> changePassword(String token, String currentPassword, String newPassword) {
        return post("/api/auth/password", new PasswordChange(currentPassword, newPassword), token);
    }

    private Mono<AuthToken> post(String path, Credentials credentials) {
        return post(path, credentials, null);
    }

    private Mono<AuthToken> post(String path, Object body, String token) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(baseUri.resolve(path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.write(body)));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        HttpRequest request = builder.build();
        return Mono.fromFuture(() -> http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()))
                .map(response -> {
                    if (response.statusCode() / 100 == 2) {
                        return Json.read(response.body(), AuthToken.class);
                    }
                    ErrorBody error;
                    try {
                        error = Json.read(response.body(), ErrorBody.class);
                    } catch (RuntimeException e) {
                        error = ErrorBody.of(ErrorCode.INTERNAL, "HTTP " + response.statusCode());
                    }
                    throw new RelayException(error.code(), error.message(), error.offset(), null);
                });
    }
}
