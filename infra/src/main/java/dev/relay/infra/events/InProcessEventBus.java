package dev.relay.infra.events;

import dev.relay.streaming.port.EventBus;
import dev.relay.streaming.support.SerialExecutor;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * {@link EventBus} for a single node. Envelopes for one user go only to that user's subscribers (a topic per user,
 * created with its first subscriber and dropped with its last), so the cost of an event does not grow with the
 * number of connected users; envelopes for everyone go to everyone; presence batches go only to {@link #presence()}
 * (the node's one delivery to its interested streams). Each subscriber gets its own buffer, so one
 * slow event stream never holds back the others (it fails alone when its buffer overflows, and its client replays).
 */
public final class InProcessEventBus implements EventBus {

    private static final int SUBSCRIBER_BUFFER = 4096;

    private final Sinks.Many<Envelope> all = Sinks.many().multicast().directBestEffort();
    private final Sinks.Many<Envelope> everyone = Sinks.many().multicast().directBestEffort();
    private final Sinks.Many<Envelope> presence = Sinks.many().multicast().directBestEffort();
    private final ConcurrentMap<String, Topic> topics = new ConcurrentHashMap<>();
    /**
     * Emissions must be serial, and a subscriber may publish while it is being called (closing a connection
     * announces presence): every publish is queued and delivered by whichever thread is already delivering.
     */
    private final SerialExecutor delivery = new SerialExecutor();

    @Override
    public void publish(Envelope envelope) {
        delivery.execute(() -> deliver(envelope));
    }

    private void deliver(Envelope envelope) {
        if (envelope.presence() != null) {
            presence.tryEmitNext(envelope);
            return;
        }
        // A sink without subscribers or with a cancelled one refuses the element: nobody is listening, drop it.
        all.tryEmitNext(envelope);
        if (envelope.userId() == null) {
            everyone.tryEmitNext(envelope);
        } else {
            Topic topic = topics.get(envelope.userId());
            if (topic != null) {
                topic.sink.tryEmitNext(envelope);
            }
        }
    }

    @Override
    public Flux<Envelope> subscribe() {
        return all.asFlux().onBackpressureBuffer(SUBSCRIBER_BUFFER);
    }

    @Override
    public Flux<Envelope> presence() {
        return presence.asFlux().onBackpressureBuffer(SUBSCRIBER_BUFFER);
    }

    @Override
    public Flux<Envelope> subscribe(String userId) {
        return Flux.defer(() -> {
            Topic topic = topics.compute(userId, (k, t) -> {
                Topic live = t == null ? new Topic() : t;
                live.subscribers++;
                return live;
            });
            return Flux.merge(topic.sink.asFlux(), everyone.asFlux())
                    .doFinally(signal -> topics.computeIfPresent(userId, (k, t) -> --t.subscribers == 0 ? null : t));
        }).onBackpressureBuffer(SUBSCRIBER_BUFFER);
    }

    /** One user's topic; {@code subscribers} is only touched inside the map's compute functions. */
    private static final class Topic {
        final Sinks.Many<Envelope> sink = Sinks.many().multicast().directBestEffort();
        int subscribers;
    }
}
