package dev.relay.streaming.support;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RequestBatcherUnitTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    /** A writer whose batches finish when the test says so; answers "x!" for item x, fails a batch holding "bad". */
    static final class Writer {
        final List<List<String>> batches = new CopyOnWriteArrayList<>();
        final List<Sinks.Empty<Void>> done = new CopyOnWriteArrayList<>();
        final AtomicInteger running = new AtomicInteger();
        int mostAtOnce;

        Mono<List<String>> write(List<String> batch) {
            batches.add(batch);
            Sinks.Empty<Void> finish = Sinks.empty();
            done.add(finish);
            synchronized (this) {
                mostAtOnce = Math.max(mostAtOnce, running.incrementAndGet());
            }
            return finish.asMono().then(Mono.fromCallable(() -> {
                if (batch.contains("bad")) {
                    throw new IllegalStateException("bad in " + batch);
                }
                return batch.stream().map(x -> x + "!").toList();
            })).doOnTerminate(running::decrementAndGet);
        }

        void finish(int batch) {
            done.get(batch).tryEmitEmpty();
        }
    }

    @Test
    void anIdleBatcherWritesAnItemAtOnceAlone() {
        Writer writer = new Writer();
        RequestBatcher<String, String> batcher = new RequestBatcher<>(writer::write, 2, 10);
        Mono<String> a = batcher.submit("a").cache();
        a.subscribe();
        assertThat(writer.batches).containsExactly(List.of("a"));
        writer.finish(0);
        assertThat(a.block(TIMEOUT)).isEqualTo("a!");
    }

    @Test
    void itemsArrivingWhileTheWritersAreBusyGoTogetherInOrderUpToTheMaximum() {
        Writer writer = new Writer();
        RequestBatcher<String, String> batcher = new RequestBatcher<>(writer::write, 2, 3);
        List<Mono<String>> results = new ArrayList<>();
        for (String item : List.of("a", "b", "c", "d", "e", "f", "g")) {
            Mono<String> r = batcher.submit(item).cache();
            r.subscribe();
            results.add(r);
        }
        // Two writers took a and b alone; the rest wait.
        assertThat(writer.batches).containsExactly(List.of("a"), List.of("b"));
        assertThat(batcher.waiting()).isEqualTo(5);
        writer.finish(1);
        assertThat(results.get(1).block(TIMEOUT)).isEqualTo("b!");
        assertThat(writer.batches.get(2)).containsExactly("c", "d", "e");
        writer.finish(0);
        assertThat(writer.batches.get(3)).containsExactly("f", "g");
        writer.finish(2);
        writer.finish(3);
        assertThat(results.stream().map(r -> r.block(TIMEOUT)).toList())
                .containsExactly("a!", "b!", "c!", "d!", "e!", "f!", "g!");
        assertThat(writer.mostAtOnce).isEqualTo(2);
        assertThat(batcher.waiting()).isZero();
    }

    @Test
    void aFailedBatchIsWrittenAgainItemByItemSoOnlyTheBadItemFails() {
        Writer writer = new Writer();
        RequestBatcher<String, String> batcher = new RequestBatcher<>(writer::write, 1, 10);
        Mono<String> first = batcher.submit("first").cache();
        first.subscribe();
        List<Mono<String>> results = new ArrayList<>();
        for (String item : List.of("a", "bad", "c")) {
            Mono<String> r = batcher.submit(item).cache();
            r.subscribe(x -> { }, e -> { });
            results.add(r);
        }
        writer.finish(0);
        assertThat(writer.batches.get(1)).containsExactly("a", "bad", "c");
        writer.finish(1);
        // Then one at a time, each after the one before.
        assertThat(writer.batches.subList(2, writer.batches.size())).containsExactly(List.of("a"));
        writer.finish(2);
        writer.finish(3);
        writer.finish(4);
        assertThat(writer.batches.subList(2, 5)).containsExactly(List.of("a"), List.of("bad"), List.of("c"));
        assertThat(results.get(0).block(TIMEOUT)).isEqualTo("a!");
        assertThatThrownBy(() -> results.get(1).block(TIMEOUT)).hasMessageContaining("bad in [bad]");
        assertThat(results.get(2).block(TIMEOUT)).isEqualTo("c!");
        assertThat(first.block(TIMEOUT)).isEqualTo("first!");

        // The writer is free again afterwards.
        Mono<String> later = batcher.submit("later").cache();
        later.subscribe();
        writer.finish(5);
        assertThat(later.block(TIMEOUT)).isEqualTo("later!");
    }

    @Test
    void aWriterThatAnswersTheWrongNumberOfResultsFailsTheBatchWithoutWritingItAgain() {
        AtomicInteger calls = new AtomicInteger();
        Sinks.Empty<Void> hold = Sinks.empty();
        // The first batch waits for the test; every later one answers a single result, whatever it holds.
        RequestBatcher<String, String> batcher = new RequestBatcher<>(batch -> calls.getAndIncrement() == 0
                ? hold.asMono().then(Mono.just(List.of("x!"))) : Mono.just(List.of("one")), 1, 10);
        Mono<String> x = batcher.submit("x").cache();
        x.subscribe();
        Mono<String> b = batcher.submit("b").cache();
        Mono<String> c = batcher.submit("c").cache();
        b.subscribe(v -> { }, e -> { });
        c.subscribe(v -> { }, e -> { });
        hold.tryEmitEmpty();
        assertThat(x.block(TIMEOUT)).isEqualTo("x!");
        assertThatThrownBy(() -> b.block(TIMEOUT)).hasMessageContaining("A batch of 2 wrote 1 results");
        assertThatThrownBy(() -> c.block(TIMEOUT)).hasMessageContaining("A batch of 2 wrote 1 results");
        assertThat(calls).as("that batch is not written again").hasValue(2);
    }
}
