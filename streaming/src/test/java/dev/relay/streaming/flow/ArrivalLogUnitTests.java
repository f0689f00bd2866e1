package dev.relay.streaming.flow;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ArrivalLogUnitTests {

    private static final long MS = 1_000_000L;

    @Test
    void aRateSpansAtLeastTheAskedArrivalsAndTime() {
        ArrivalLog log = new ArrivalLog();
        for (int i = 0; i <= 100; i++) {
            log.add(1000, i * MS); // 1000 bytes a millisecond
        }
        assertThat(log.rateSince(90 * MS, 2)).isCloseTo(1e6, within(1.0));
        assertThat(log.spanNanos()).isEqualTo(10 * MS);
        // Two arrivals lie in the last millisecond; eight are asked for: the span reaches back eight.
        assertThat(log.rateSince(99 * MS, 8)).isCloseTo(1e6, within(1.0));
        assertThat(log.spanNanos()).isEqualTo(8 * MS);
    }

    @Test
    void aSpanBeyondWhatIsKeptStartsAtTheOldestKept() {
        ArrivalLog log = new ArrivalLog();
        for (int i = 0; i < ArrivalLog.CAPACITY + 50; i++) {
            log.add(1000, i * MS);
        }
        log.rateSince(0, 2);
        assertThat(log.spanNanos()).isEqualTo((ArrivalLog.CAPACITY - 1) * MS);
    }

    @Test
    void afterTheFlowStoppedNoRateSpansTheStop() {
        ArrivalLog log = new ArrivalLog();
        log.add(1000, 0);
        log.add(1000, MS);
        log.clear();
        assertThat(log.rateSince(0, 2)).isEqualTo(-1);
        log.add(1000, 500 * MS);
        assertThat(log.rateSince(0, 2)).as("one arrival since the stop").isEqualTo(-1);
        log.add(1000, 501 * MS);
        assertThat(log.rateSince(0, 2)).isCloseTo(1e6, within(1.0));
    }
}
