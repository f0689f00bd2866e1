package dev.relay.cli.config;

import java.net.URI;
import java.time.Instant;

/**
 * What {@code relay login} remembers.
 *
 * @param server    the service's HTTP base URL, e.g. {@code http://localhost:8080}
 * @param username  who logged in (null after logout)
 * @param token     the bearer token (null after logout)
 * @param expiresAt when the token stops being accepted
 */
public record Config(String server, String username, String token, Instant expiresAt) {

    public static final String DEFAULT_SERVER = "http://localhost:8080";

    public static Config empty() {
        return new Config(DEFAULT_SERVER, null, null, null);
    }

    public boolean loggedIn() {
        return token != null && !token.isEmpty();
    }

    public boolean expired(Instant now) {
        return expiresAt != null && !now.isBefore(expiresAt);
    }

    public Config withLogin(String server, String username, String token, Instant expiresAt) {
        return new Config(server, username, token, expiresAt);
    }

    public Config withoutToken() {
        return new Config(server, username, null, null);
    }

    public URI httpUri() {
        return URI.create(server == null ? DEFAULT_SERVER : server);
    }

    /** The RSocket endpoint beside the HTTP API: same host and port, ws(s) scheme, path /rsocket. */
    public URI webSocketUri() {
        URI http = httpUri();
        String scheme = "https".equalsIgnoreCase(http.getScheme()) ? "wss" : "ws";
        String path = http.getPath() == null ? "" : http.getPath().replaceAll("/+$", "");
        return URI.create(scheme + "://" + http.getRawAuthority() + path + "/rsocket");
    }
}
