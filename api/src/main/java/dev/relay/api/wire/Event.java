package dev.relay.api.wire;

import java.time.Instant;

/**
 * One element of the {@code events} stream. Exactly the field named by {@code type} is set.
 *
 * @param id per-user sequence number of a durable event (MESSAGE, MESSAGE_UPDATED, READ), replayable with
 *           {@code since}; null for live-only events (PRESENCE, TRANSFER, USER), whose current state the client can
 *           always query again
 */
public record Event(Long id, Type type, Instant at, ChatMessage message, ReadMarker read, UserInfo user,
                    TransferProgress transfer) {

    public enum Type {
        /** A new message in one of the user's conversations (sent by them or to them). */
        MESSAGE,
        /** A message changed: its file's transfer reached a new state, or it was deleted. */
        MESSAGE_UPDATED,
        /** A read marker moved. */
        READ,
        /** A user came online or went offline ({@code user.online}). */
        PRESENCE,
        /** A user registered, their profile changed, or they were disabled (no longer listed) or enabled. */
        USER,
        /** Progress of a file message's upload. */
        TRANSFER,
        /** Replay could not go back as far as {@code since} asked: reload conversations, then continue live. */
        RESYNC
    }

    public static Event message(Long id, Type type, Instant at, ChatMessage message) {
        return new Event(id, type, at, message, null, null, null);
    }
}
