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
import java.util.ArrayList;
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
        return append(List.of(new Announcement(event, List.of(userIds))));
    }

    /**
     * Appends several events at once (two round trips for all of them), each to its users' logs in list order; the
     * result, one envelope per user and event in that order, is for {@link #publish}.
     */
    public Mono<List<Envelope>> append(List<Announcement> announcements) {
        List<NewEvent> rows = new ArrayList<>();
        List<Event> events = new ArrayList<>();
        for (Announcement a : announcements) {
            String payload = encode(a.event());
            a.userIds().stream().distinct().forEach(u -> {
                rows.add(new NewEvent(u, a.event().type().name(), payload));
                events.add(a.event());
            });
        }
        // The events are at hand: only their sequence numbers are new (parsing the payloads back cost two JSON reads
        // a message).
        return chat.append(rows).map(stored -> {
            List<Envelope> envelopes = new ArrayList<>(stored.size());
            for (int i = 0; i < stored.size(); i++) {
                StoredEvent s = stored.get(i);
                Event e = events.get(i);
                envelopes.add(Envelope.to(s.userId(), new Event(s.seq(), e.type(), e.at(), e.message(), e.read(),
                        e.user(), e.transfer())));
            }
            return envelopes;
        });
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

    /** An event and the users whose logs it goes to. */
    public record Announcement(Event event, List<String> userIds) {
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
