package dev.relay.api.wire;

import java.time.Instant;


/** The answer to register, login and password change: a signed JWT to send as bearer token, and when it expires. */
public record AuthToken(String token, Instant expiresAt, String userId, String username, UserInfo.Role role) {
}
