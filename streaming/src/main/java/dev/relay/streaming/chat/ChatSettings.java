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
 */
public record ChatSettings(int maxTextLength, int messagesPerMinute, int messageBurst, Duration transferInterval,
                           Duration eventRetention) {

    public static ChatSettings defaults() {
        return new ChatSettings(4000, 60, 20, Duration.ofMillis(250), Duration.ofDays(7));
    }
}
