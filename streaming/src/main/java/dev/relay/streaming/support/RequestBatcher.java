package dev.relay.streaming.support;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Group commit, for writes and reads alike: items submitted while {@code writers} batches are in progress wait and go
 * together in the next batch (at most {@code maxBatch} items), so a request's fixed cost (a transaction's round trips,
 * its commit; a query and its pooled connection) is shared by all that arrived meanwhile. An idle batcher writes an item at once, alone: batching adds no wait of its own, and
 * batches grow only as fast as the load does.
 * <p>
 * The writer answers one result per item, in the batch's order. A batch that fails is written again item by item,
 * so that one item's failure (a constraint, a deadlock victim) fails only that item. Items are taken in submission
 * order. A subscriber that cancels does not withdraw its item: it may be written anyway, as a write that committed
 * just before a cancel would be.
 */
public final class RequestBatcher<T, R> {

    private final Function<List<T>, Mono<List<R>>> writer;
    private final int writers;
    private final int maxBatch;
    private final ArrayDeque<Waiting<T, R>> queue = new ArrayDeque<>();
    private int writing;

    public RequestBatcher(Function<List<T>, Mono<List<R>>> writer, int writers, int maxBatch) {
        if (writers < 1 || maxBatch < 1) {
            throw new IllegalArgumentException("writers and maxBatch must be positive: " + writers + ", " + maxBatch);
        }
        this.writer = writer;
        this.writers = writers;
        this.maxBatch = maxBatch;
    }

    /** Writes {@code item} in the next batch; completes with its result once that batch is written. */
    public Mono<R> submit(T item) {
        return Mono.create(sink -> {
            synchronized (this) {
                queue.add(new Waiting<>(item, sink));
            }
            drain();
        });
    }

    /** Items waiting for a writer (not those being written). */
    public synchronized int waiting() {
        return queue.size();
    }

    private void drain() {
        while (true) {
            List<Waiting<T, R>> batch;
            synchronized (this) {
                if (writing >= writers || queue.isEmpty()) {
                    return;
                }
                writing++;
                batch = new ArrayList<>(Math.min(maxBatch, queue.size()));
                while (batch.size() < maxBatch && !queue.isEmpty()) {
                    batch.add(queue.poll());
                }
            }
            write(batch)
                    .onErrorResume(e -> batch.size() == 1 ? fail(batch.get(0), e)
                            : Flux.fromIterable(batch).concatMap(one -> write(List.of(one))
                                    .onErrorResume(e2 -> fail(one, e2))).then())
                    .doFinally(signal -> {
                        synchronized (this) {
                            writing--;
                        }
                        drain();
                    })
                    .subscribe();
        }
    }

    /** Fails only if the writer did (then nothing of the batch was written, and writing its items again is safe). */
    private Mono<Void> write(List<Waiting<T, R>> batch) {
        return Mono.defer(() -> writer.apply(batch.stream().map(Waiting::item).toList()))
                .defaultIfEmpty(List.of())
                .doOnNext(results -> {
                    if (results.size() != batch.size()) {
                        // A writer's bug, after its write: nothing to write again.
                        var e = new IllegalStateException("A batch of " + batch.size() + " wrote " + results.size()
                                + " results");
                        batch.forEach(one -> one.sink().error(e));
                        return;
                    }
                    for (int i = 0; i < batch.size(); i++) {
                        batch.get(i).sink().success(results.get(i));
                    }
                })
                .then();
    }

    private static <T, R> Mono<Void> fail(Waiting<T, R> one, Throwable e) {
        one.sink().error(e);
        return Mono.empty();
    }

    private record Waiting<T, R>(T item, MonoSink<R> sink) {
    }
}
