package dev.relay.api.wire;

import java.util.List;

/**
 * {@code presence.watch}: the users whose presence this connection's event streams should get (at most 500),
 * replacing what it watched before; an empty list watches nobody. Conversation peers come without asking.
 */
public record PresenceWatch(List<String> users) {
}
