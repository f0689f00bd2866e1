package dev.relay.api.wire;

/** {@code profile.update}: the new display name (1 to 64 characters, trimmed). */
public record ProfileUpdate(String displayName) {
}
