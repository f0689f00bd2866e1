package dev.relay.streaming.port;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.relay.api.wire.Event;
import dev.relay.api.wire.UserInfo;
import reactor.core.publisher.Flux;

import java.util.List;

/**
 * Publish/subscribe of user events between the service's nodes. The in-process implementation serves one node; a
 * Redis or NATS adapter fans out across nodes without touching the chat code. Delivery is best effort and may
 * reorder: durable events carry per-user sequence numbers, and subscribers fill gaps from the database.
 */
public interface EventBus {

    void publish(Envelope envelope);

    /** Every envelope published (on any node) after subscribing, but presence batches. */
    Flux<Envelope> subscribe();

    /** The envelopes for {@code userId} and for everyone, published (on any node) after subscribing; no presence. */
    Flux<Envelope> subscribe(String userId);

    /**
     * The presence batches ({@link Envelope#presence()}) published (on any node) after subscribing. They reach each
     * node once, here only: a node hands each change to its own streams that want it, so per-user subscriptions
     * never carry them (every stream scanning every batch is the N-squared this avoids).
     */
    Flux<Envelope> presence();

    /**
     * A signal each time this node's subscriptions were set up again after a lost connection (what was published
     * meanwhile did not arrive): streams then catch up from the log at once. Never, for a bus that loses nothing.
     */
    default Flux<Long> resubscribed() {
        return Flux.never();
    }

    /**
     * @param userId     the user it is for; null for every user
     * @param event      the event to deliver, or null for a pure signal
     * @param disconnect close the user's connections (disabled account, changed password)
     * @param presence   a batch of presence changes (each user's new state, {@code online} set), or null
     */
    record Envelope(String userId, Event event, boolean disconnect,
                    @JsonInclude(JsonInclude.Include.NON_NULL) List<UserInfo> presence) {

        public static Envelope to(String userId, Event event) {
            return new Envelope(userId, event, false, null);
        }

        public static Envelope everyone(Event event) {
            return new Envelope(null, event, false, null);
        }

        public static Envelope disconnect(String userId) {
            return new Envelope(userId, null, true, null);
        }

        public static Envelope presence(List<UserInfo> changes) {
            return new Envelope(null, null, false, List.copyOf(changes));
        }
    }
}
