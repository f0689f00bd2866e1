package dev.relay.api.wire;

import java.util.List;

/**
 * The answer to {@code presence.watch}: the current state of each watched user that exists and is enabled, in the
 * order asked (unknown ids are left out); the changes follow as PRESENCE events.
 */
public record PresenceState(List<UserInfo> users) {
}
