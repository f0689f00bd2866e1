package dev.relay.api.wire;

import java.time.Instant;

/** An invite code ({@code admin.invites.create}): admits one registration until {@code expiresAt}. */
public record Invite(String code, Instant expiresAt) {
}
