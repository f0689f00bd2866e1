package dev.relay.streaming.flow;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class RunAheadUnitTests {

    private static final long MS = 1_000_000;
    private static final long MIB = 1 << 20;

    @Test
    void knowsNothingUntilEnoughPartsAreRecorded() {
        RunAhead ahead = new RunAhead(1.25, 4, 8);
        assertThat(ahead.bytes(40 * MS)).isEqualTo(-1);
        for (int i = 1; i <= 4; i++) {
            ahead.recorded(i * 8 * MIB, i * 80 * MS, 20 * MS);
            assertThat(ahead.bytes(40 * MS)).as("after %d parts", i).isEqualTo(-1);
        }
        ahead.recorded(5 * 8 * MIB, 5 * 80 * MS, 20 * MS);
        assertThat(ahead.bytes(40 * MS)).isPositive();
        assertThat(ahead.bytes(-1)).as("no round trip measured yet").isEqualTo(-1);
    }

    @Test
    void isHeadroomTimesDeliveryRateTimesRoundTripPlusFinish() {
        RunAhead ahead = new RunAhead(1.25, 4, 8);
        // 8 MiB made durable every 80 ms: 100 MiB/s; each part finished 20 ms after its last byte.
        for (int i = 1; i <= 10; i++) {
            ahead.recorded(i * 8 * MIB, i * 80 * MS, 20 * MS);
        }
        assertThat(ahead.deliveryRate()).isCloseTo(100.0 * MIB, within(1.0));
        // 1.25 x 100 MiB/s x (40 + 20) ms = 7.5 MiB
        assertThat(ahead.bytes(40 * MS)).isEqualTo((long) (7.5 * MIB));
        assertThat(ahead.bytes(10 * MS)).as("a shorter round trip needs less").isEqualTo((long) (3.75 * MIB));
    }

    @Test
    void aGrowingQueueAtTheStoreDoesNotAskForMore() {
        // Finishes that grow because parts wait behind each other at a busy S3 server: the queue is not a delay
        // that running ahead covers. Sizing by it would shorten parts, which costs the server more per byte.
        RunAhead ahead = new RunAhead(1.25, 4, 8);
        for (int i = 1; i <= 5; i++) {
            ahead.recorded(i * 8 * MIB, i * 80 * MS, 20 * MS);
        }
        long before = ahead.bytes(40 * MS);
        for (int i = 6; i <= 8; i++) {
            ahead.recorded(i * 8 * MIB, i * 80 * MS, (20 + 60L * (i - 5)) * MS);
        }
        assertThat(ahead.bytes(40 * MS)).isEqualTo(before);
        // Once every recent finish is slower, the floor itself moved: that is a delay.
        for (int i = 9; i <= 16; i++) {
            ahead.recorded(i * 8 * MIB, i * 80 * MS, 50 * MS);
        }
        assertThat(ahead.shortestFinishNanos()).isEqualTo(50 * MS);
        assertThat(ahead.bytes(40 * MS)).isGreaterThan(before);
    }

    @Test
    void aFlowThatStallsAtItsBoundariesIsToldToRunFurther() {
        // Parts of C = P - S with S bytes of room past their end: a flow held up by that room delivers
        // S / (round trip + finish) per second, and the estimate then asks for more than S.
        long room = 5 * MIB;
        long roundTripAndFinish = 60 * MS;
        long part = 11 * MIB;
        long partNanos = (long) (part / (room / (roundTripAndFinish / 1e9)) * 1e9);
        RunAhead ahead = new RunAhead(1.25, 4, 8);
        for (int i = 1; i <= 6; i++) {
            ahead.recorded(i * part, i * partNanos, 20 * MS);
        }
        assertThat(ahead.bytes(40 * MS)).isGreaterThan(room);
    }

    @Test
    void aPauseIsNotCountedAsASlowRate() {
        RunAhead ahead = new RunAhead(1.25, 2, 8);
        ahead.recorded(8 * MIB, 80 * MS, 20 * MS);
        ahead.recorded(16 * MIB, 160 * MS, 20 * MS);
        ahead.recorded(24 * MIB, 240 * MS, 20 * MS);
        double rate = ahead.deliveryRate();
        ahead.restart();
        // An hour of pause, then the same pace.
        long resumed = 240 * MS + 3_600_000 * MS;
        ahead.recorded(32 * MIB, resumed + 80 * MS, 20 * MS);
        assertThat(ahead.deliveryRate()).as("not enough parts since the pause").isZero();
        ahead.recorded(40 * MIB, resumed + 160 * MS, 20 * MS);
        ahead.recorded(48 * MIB, resumed + 240 * MS, 20 * MS);
        assertThat(ahead.deliveryRate()).isCloseTo(rate, within(1.0));
    }

    @Test
    void refusesAHeadroomThatWouldLetStallsPersist() {
        assertThatThrownBy(() -> new RunAhead(1.0, 4, 8)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RunAhead(1.5, 0, 8)).isInstanceOf(IllegalArgumentException.class);
    }
}
