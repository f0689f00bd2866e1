package dev.relay.streaming.port;

import dev.relay.api.wire.Event;
import reactor.core.publisher.Flux;

/**
 * Publish/subscribe of user events between the service's nodes. The in-process implementation serves one node; a
 * Redis or NATS adapter fans out across nodes without touching the chat code. Delivery is best effort and may
 * reorder: durable events carry per-user sequence numbers, and subscribers fill gaps from the database.
 */
public interface EventBus {

    void publish(Envelope envelope);

    /** Every envelope published (on any node) after subscribing. */
    Flux<Envelope> subscribe();

    /** The envelopes for {@code userId} and for everyone, published (on any node) after subscribing. */
    Flux<Envelope> subscribe(String userId);

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
     */
    record Envelope(String userId, Event event, boolean disconnect) {

        public static Envelope to(String userId, Event event) {
            return new Envelope(userId, event, false);
        }

        public static Envelope everyone(Event event) {
            return new Envelope(null, event, false);
        }

        public static Envelope disconnect(String userId) {
            return new Envelope(userId, null, true);
        }
    }
}
