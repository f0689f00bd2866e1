package dev.relay.streaming.chat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.relay.api.wire.Event;
import dev.relay.streaming.port.ChatRepository;
import dev.relay.streaming.port.ChatRepository.NewEvent;
import dev.relay.streaming.port.ChatRepository.StoredEvent;
import dev.relay.streaming.port.EventBus;
import dev.relay.streaming.port.EventBus.Envelope;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Durable events: appended to each addressee's log inside the caller's transaction (which must hold their account
 * locks), then published once it committed. Live-only events go straight to the bus.
 */
public final class EventLog {

    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final ChatRepository chat;
    private final EventBus bus;

    public EventLog(ChatRepository chat, EventBus bus) {
        this.chat = chat;
        this.bus = bus;
    }

    /** Appends {@code event} to each user's log; the result, with each user's sequence number, is for {@link #publish}. */
    public Mono<List<Envelope>> append(Event event, String... userIds) {
        String payload = encode(event);
        List<NewEvent> rows = java.util.Arrays.stream(userIds).distinct()
                .map(u -> new NewEvent(u, event.type().name(), payload))
                .toList();
        // The event is at hand: only its sequence number is new (parsing the payload back cost two JSON reads a
        // message).
        return chat.append(rows).map(stored -> stored.stream().map(s -> Envelope.to(s.userId(), new Event(s.seq(),
                event.type(), event.at(), event.message(), event.read(), event.user(), event.transfer()))).toList());
    }

    /** Publishes appended events; call after the transaction that appended them committed. */
    public void publish(List<Envelope> envelopes) {
        envelopes.forEach(bus::publish);
    }

    public void publishLive(String userId, Event event) {
        bus.publish(userId == null ? Envelope.everyone(event) : Envelope.to(userId, event));
    }

    public void disconnect(String userId) {
        bus.publish(Envelope.disconnect(userId));
    }

    static Event decode(StoredEvent stored) {
        try {
            Event e = JSON.readValue(stored.payload(), Event.class);
            return new Event(stored.seq(), e.type(), e.at(), e.message(), e.read(), e.user(), e.transfer());
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static String encode(Event event) {
        try {
            return JSON.writeValueAsString(event);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
