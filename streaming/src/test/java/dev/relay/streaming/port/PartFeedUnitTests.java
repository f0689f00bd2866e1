package dev.relay.streaming.port;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PartFeedUnitTests {

    @Test
    void aSenderWaitsForTheBytesItNeedsAndNoLonger() throws Exception {
        PartFeed feed = PartFeed.over(new byte[100], 80);
        feed.advance(10);
        assertThat(feed.awaitAvailable(5, 1, TimeUnit.SECONDS)).isEqualTo(10);
        CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> await(feed, 50));
        Thread.sleep(100);
        assertThat(waiting).isNotDone();
        feed.advance(60);
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isEqualTo(60);
        feed.advance(1000); // never beyond the part's length
        assertThat(feed.awaitAvailable(500, 1, TimeUnit.SECONDS)).isEqualTo(80);
    }

    @Test
    void theIdleLimitCountsFromTheLatestBytes() throws Exception {
        PartFeed feed = PartFeed.over(new byte[100], 100);
        CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> await(feed, 100));
        for (int i = 1; i <= 6; i++) {
            Thread.sleep(100);
            feed.advance(i * 10); // each advance comes within the 300 ms limit; all together they take longer
        }
        feed.advance(100);
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isEqualTo(100);

        PartFeed stalled = PartFeed.over(new byte[100], 100);
        assertThatThrownBy(() -> stalled.awaitAvailable(1, 200, TimeUnit.MILLISECONDS))
                .isInstanceOf(IOException.class).hasMessageContaining("No bytes of the part arrived for 200 ms");
    }

    @Test
    void anAbandonedPartFailsItsSenderAtOnceEvenWithBytesAtHand() throws Exception {
        PartFeed feed = PartFeed.over(new byte[100], 100);
        CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> await(feed, 100));
        Thread.sleep(100);
        feed.abandon();
        assertThatThrownBy(() -> waiting.get(5, TimeUnit.SECONDS)).hasRootCauseInstanceOf(IOException.class)
                .hasMessageContaining("abandoned");
        feed.advance(100);
        assertThatThrownBy(() -> feed.awaitAvailable(1, 1, TimeUnit.SECONDS)).isInstanceOf(IOException.class);
    }

    private static int await(PartFeed feed, int bytes) {
        try {
            return feed.awaitAvailable(bytes, 300, TimeUnit.MILLISECONDS);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
