package dev.relay.streaming.support;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SerialExecutorUnitTests {

    private final SerialExecutor serial = new SerialExecutor();
    private final List<String> ran = new ArrayList<>();

    @Test
    void anOutOfMemoryErrorReachesTheCallerAndTheTasksBehindItStillRun() {
        assertThatThrownBy(() -> serial.execute(() -> {
            serial.execute(() -> ran.add("queued behind"));
            throw new OutOfMemoryError("Java heap space");
        })).isInstanceOf(OutOfMemoryError.class).hasMessage("Java heap space");
        assertThat(ran).containsExactly("queued behind");

        serial.execute(() -> ran.add("later"));
        assertThat(ran).as("the executor is still usable").containsExactly("queued behind", "later");
    }

    @Test
    void anOrdinaryExceptionIsLoggedAndTheExecutorGoesOn() {
        serial.execute(() -> {
            throw new IllegalStateException("a bug in one task");
        });
        serial.execute(() -> ran.add("next"));
        assertThat(ran).containsExactly("next");
    }

    @Test
    void tasksSubmittedWhileOneRunsRunAfterItInOrder() {
        serial.execute(() -> {
            serial.execute(() -> ran.add("second"));
            serial.execute(() -> ran.add("third"));
            ran.add("first");
        });
        assertThat(ran).containsExactly("first", "second", "third");
    }
}
