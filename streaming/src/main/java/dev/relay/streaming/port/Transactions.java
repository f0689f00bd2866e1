package dev.relay.streaming.port;

import reactor.core.publisher.Mono;

/** Runs repository calls in one database transaction (joining one already open in the subscriber's context). */
public interface Transactions {

    <T> Mono<T> required(Mono<T> work);
}
