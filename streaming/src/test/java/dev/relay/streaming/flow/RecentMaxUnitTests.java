package dev.relay.streaming.flow;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RecentMaxUnitTests {

    @Test
    void keepsTheLargestOfTheLastSamplesOnly() {
        RecentMax recent = new RecentMax(3);
        assertThat(recent.max()).isZero();
        recent.add(5);
        recent.add(90);
        recent.add(7);
        assertThat(recent.max()).isEqualTo(90);
        recent.add(8);
        assertThat(recent.max()).as("still within the last three").isEqualTo(90);
        recent.add(6);
        assertThat(recent.max()).as("the outlier is forgotten").isEqualTo(8);
    }
}
