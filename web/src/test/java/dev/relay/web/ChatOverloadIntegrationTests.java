package dev.relay.web;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.ChatMessage;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Chat writes past what a node takes at once are refused at once with {@code OVERLOADED}, not queued: here one at a
 * time, and many senders at once. Every message answered as sent is stored, and none that was refused.
 */
@TestPropertySource(properties = {"relay.chat.max-pending-writes=1", "relay.chat.message-burst=100"})
class ChatOverloadIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void writesPastTheBoundAreRefusedWithOverloadedAndNothingRefusedIsStored() {
        AuthToken recipient = newUser();
        List<RelayClient> senders = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            senders.add(client(newUser()));
        }
        List<Object> outcomes = Flux.range(0, 50)
                .flatMap(i -> senders.get(i % senders.size()).sendText(recipient.userId(), "m" + i)
                        .<Object>map(m -> m)
                        .onErrorResume(RelayException.class, Mono::just), 50)
                .collectList().block(TIMEOUT);

        List<ChatMessage> sent = outcomes.stream().filter(ChatMessage.class::isInstance)
                .map(ChatMessage.class::cast).toList();
        List<RelayException> refused = outcomes.stream().filter(RelayException.class::isInstance)
                .map(RelayException.class::cast).toList();
        assertThat(sent.size() + refused.size()).isEqualTo(50);
        assertThat(refused).as("refused at once, not queued").isNotEmpty()
                .allSatisfy(e -> assertThat(e.code()).isEqualTo(ErrorCode.OVERLOADED));
        assertThat(sent).as("some get through").isNotEmpty();

        RelayClient reader = client(recipient);
        Set<String> stored = new HashSet<>();
        for (RelayClient sender : senders) {
            String senderId = sender.me().block(TIMEOUT).id();
            reader.history(senderId, null, 50).map(ChatMessage::text).toStream().forEach(stored::add);
        }
        assertThat(stored).containsExactlyInAnyOrderElementsOf(sent.stream().map(ChatMessage::text).toList());
    }
}
