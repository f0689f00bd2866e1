package dev.relay.streaming.chat;

import dev.relay.streaming.port.EventBus;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** An {@link EventBus} that records what is published and hands presence batches to {@link #presence()}. */
final class RecordingBus implements EventBus {

    final List<Envelope> published = new CopyOnWriteArrayList<>();
    private final Sinks.Many<Envelope> presence = Sinks.many().multicast().directBestEffort();

    @Override
    public void publish(Envelope envelope) {
        published.add(envelope);
        if (envelope.presence() != null) {
            presence.tryEmitNext(envelope);
        }
    }

    @Override
    public Flux<Envelope> subscribe() {
        return Flux.never();
    }

    @Override
    public Flux<Envelope> subscribe(String userId) {
        return Flux.never();
    }

    @Override
    public Flux<Envelope> presence() {
        return presence.asFlux();
    }
}
