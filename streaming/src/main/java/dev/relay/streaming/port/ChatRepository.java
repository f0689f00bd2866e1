package dev.relay.streaming.port;

import dev.relay.api.wire.ChatMessage;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Conversations, messages, read markers and the per-user event log. Methods that write expect the caller to hold
 * the participants' account locks ({@link AccountRepository#lock}) in the current transaction.
 */
public interface ChatRepository {

    /** Inserts a message (creating the conversation on the first one) and returns it as stored. */
    Mono<ChatMessage> insert(NewMessage message);

    /**
     * Inserts text messages (no upload) at once and returns them as stored, in list order; their ids ascend in that
     * order, so a conversation's messages keep it.
     */
    Mono<List<ChatMessage>> insertAll(List<NewMessage> messages);

    Mono<ChatMessage> find(long messageId);

    /** The message of a file message's upload. */
    Mono<ChatMessage> findByUpload(String uploadId);

    /** Messages between the two users with id below {@code before} (null: the newest), newest first. */
    Flux<ChatMessage> history(String userId, String peerId, Long before, int limit);

    /** Marks a message deleted (its text is cleared); false if it already was. */
    Mono<Boolean> markDeleted(long messageId);

    /**
     * Moves the user's read marker in the conversation with {@code peerId} forward to {@code messageId} (never
     * back) and returns the resulting marker and unread count; writes nothing when the marker is there already.
     */
    Mono<ReadState> markRead(String userId, String peerId, long messageId);

    /** The user's conversations, most recent activity first, with the last message and unread count. */
    Flux<ConversationRow> conversations(String userId);

    /**
     * For each of {@code userIds}, the ids of the users they have a conversation with, most recent activity first, at
     * most {@code limit}: whose presence the user's event streams follow. Users without one are left out.
     */
    Mono<Map<String, List<String>>> peerIds(List<String> userIds, int limit);

    /** Appends events to users' logs, assigning each user's next sequence numbers in list order. */
    Mono<List<StoredEvent>> append(List<NewEvent> events);

    /** The user's events with a sequence number above {@code since}, in order, at most {@code limit}. */
    Flux<StoredEvent> eventsSince(String userId, long since, int limit);

    /**
     * Each existing user's last assigned sequence number (0 if none) and the lowest still kept (0 if none), in one
     * query for all.
     */
    Mono<Map<String, EventRange>> eventRanges(Collection<String> userIds);

    /** The last assigned sequence number of each of {@code userIds} that exists (one query for all of them). */
    Mono<Map<String, Long>> lastEventIds(Collection<String> userIds);

    /** Deletes events older than {@code before}; returns how many. */
    Mono<Long> pruneEvents(Instant before);

    record NewMessage(String senderId, String recipientId, ChatMessage.Kind kind, String text, String uploadId) {
    }

    /** {@code moved}: whether this call moved the marker (a marker never moves back). */
    record ReadState(long messageId, long unread, boolean moved) {
    }

    record ConversationRow(String peerId, ChatMessage lastMessage, long unread) {
    }

    record NewEvent(String userId, String type, String payload) {
    }

    record StoredEvent(String userId, long seq, String type, String payload, Instant createdAt) {
    }

    record EventRange(long last, long first) {
    }
}
