package dev.relay.streaming.chat;

import java.time.Duration;

/**
 * Limits of the chat layer.
 *
 * @param maxTextLength     characters of a text message, after trimming
 * @param messagesPerMinute messages (text or file) a user may send per minute on average
 * @param messageBurst      messages a user may send at once before the rate applies
 * @param transferInterval  the shortest interval between two progress events of one transfer
 * @param eventRetention    how long the per-user event log keeps events for replay
 * @param maxPendingWrites  chat writes (text and file messages, read markers) a node works on at once;
 *                          more are refused with {@code OVERLOADED} instead of queueing without bound
 * @param textTransactions  text-message transactions a node runs at once; messages arriving meanwhile wait and go
 *                          together in the next (fewer: larger batches, less database work per message)
 */
public record ChatSettings(int maxTextLength, int messagesPerMinute, int messageBurst, Duration transferInterval,
                           Duration eventRetention, int maxPendingWrites, int textTransactions) {

    public ChatSettings {
        if (maxPendingWrites < 1) {
            throw new IllegalArgumentException("relay.chat.max-pending-writes must be positive: " + maxPendingWrites);
        }
        if (textTransactions < 1) {
            throw new IllegalArgumentException("relay.chat.text-transactions must be positive: " + textTransactions);
        }
    }
}
