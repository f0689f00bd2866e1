package dev.relay.api.wire;

/** {@code POST /api/auth/register} and {@code POST /api/auth/login} body. */
public record Credentials(String username, String password) {
}
