package dev.relay.streaming.upload;

import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

import static dev.relay.streaming.upload.SessionState.ABORTING;
import static dev.relay.streaming.upload.SessionState.CLOSED;
import static dev.relay.streaming.upload.SessionState.CLOSING;
import static dev.relay.streaming.upload.SessionState.FINISHING;
import static dev.relay.streaming.upload.SessionState.HIBERNATED;
import static dev.relay.streaming.upload.SessionState.HIBERNATING;
import static dev.relay.streaming.upload.SessionState.PAUSED;
import static dev.relay.streaming.upload.SessionState.RECEIVING;
import static dev.relay.streaming.upload.SessionState.WAKING;
import static org.assertj.core.api.Assertions.assertThat;

/** The session's transition table itself; UploadSessionUnitTests drive the session through it. */
class SessionStateUnitTests {

    private static Set<SessionState> reachableFrom(SessionState start) {
        Set<SessionState> seen = EnumSet.of(start);
        ArrayDeque<SessionState> next = new ArrayDeque<>(seen);
        while (!next.isEmpty()) {
            for (SessionState s : next.poll().successors()) {
                if (seen.add(s)) {
                    next.add(s);
                }
            }
        }
        return seen;
    }

    @Test
    void everyStateEndsClosedAndClosedIsTheEnd() {
        for (SessionState state : SessionState.values()) {
            assertThat(reachableFrom(state)).as("from %s", state).contains(CLOSED);
        }
        assertThat(CLOSED.successors()).isEmpty();
    }

    @Test
    void theOpenStatesAreThoseWhereChunksMayArriveAndPauseAndResumeApply() {
        assertThat(Arrays.stream(SessionState.values()).filter(SessionState::open))
                .containsExactlyInAnyOrder(RECEIVING, PAUSED, HIBERNATING, HIBERNATED, WAKING);
        assertThat(Arrays.stream(SessionState.values()).filter(SessionState::paused))
                .containsExactlyInAnyOrder(PAUSED, HIBERNATING, HIBERNATED);
    }

    @Test
    void aSessionOnItsWayOutNeverOpensAgain() {
        for (SessionState state : EnumSet.of(CLOSING, ABORTING, FINISHING, CLOSED)) {
            assertThat(reachableFrom(state)).as("from %s", state).noneMatch(SessionState::open);
        }
    }

    @Test
    void onlyAChannelThatHasReceivedAndNotAbortedFinishes() {
        assertThat(Arrays.stream(SessionState.values()).filter(s -> s.canMoveTo(FINISHING)))
                .containsExactlyInAnyOrder(RECEIVING, PAUSED, CLOSING);
        assertThat(ABORTING.canMoveTo(FINISHING)).isFalse();
    }

    @Test
    void everyOpenStateCanCloseAndAbort() {
        for (SessionState state : EnumSet.of(RECEIVING, PAUSED, HIBERNATING, HIBERNATED, WAKING)) {
            assertThat(state.successors()).as("from %s", state).contains(CLOSING, ABORTING);
        }
        assertThat(CLOSING.canMoveTo(ABORTING)).isTrue();
        assertThat(ABORTING.canMoveTo(CLOSING)).isFalse();
    }

    @Test
    void hibernationAndWakingPassThroughTheirOwnStates() {
        assertThat(RECEIVING.canMoveTo(HIBERNATED)).isFalse();
        assertThat(PAUSED.successors()).contains(HIBERNATING, HIBERNATED);
        assertThat(HIBERNATED.successors()).containsExactlyInAnyOrder(RECEIVING, CLOSING, ABORTING);
        assertThat(WAKING.successors()).containsExactlyInAnyOrder(RECEIVING, PAUSED, CLOSING, ABORTING);
    }
}
