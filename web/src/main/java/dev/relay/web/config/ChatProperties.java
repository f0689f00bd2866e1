package dev.relay.web.config;

import dev.relay.streaming.chat.ChatSettings;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * {@code relay.chat.*}: see {@link ChatSettings}; {@code presence-window} is how long a node collects presence
 * changes before it announces them, coalesced per user, in one batch ({@code PresenceBatcher}).
 */
@ConfigurationProperties("relay.chat")
public record ChatProperties(@DefaultValue("4000") int maxTextLength,
                             @DefaultValue("60") int messagesPerMinute,
                             @DefaultValue("20") int messageBurst,
                             @DefaultValue("250ms") Duration transferInterval,
                             @DefaultValue("7d") Duration eventRetention,
                             @DefaultValue("256") int maxPendingWrites,
                             @DefaultValue("2") int textTransactions,
                             @DefaultValue("200ms") Duration presenceWindow) {

    ChatSettings toSettings() {
        return new ChatSettings(maxTextLength, messagesPerMinute, messageBurst, transferInterval, eventRetention,
                maxPendingWrites, textTransactions);
    }
}
