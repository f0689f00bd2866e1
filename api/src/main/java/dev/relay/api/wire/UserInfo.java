package dev.relay.api.wire;

/**
 * A user as others see them ({@code users.list}, {@code users.search}, {@code users.me}, in conversations).
 *
 * @param online   whether the user has at least one open connection
 * @param disabled true for a disabled user: administrators see them, others only in past conversations (the
 *                 directory hides them)
 */
public record UserInfo(String id, String username, String displayName, Role role, boolean online, boolean disabled) {

    public enum Role { USER, ADMIN }
}
