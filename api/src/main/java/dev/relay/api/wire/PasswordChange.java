package dev.relay.api.wire;

/** {@code POST /api/auth/password}: every token issued before the change stops working. */
public record PasswordChange(String currentPassword, String newPassword) {
}
