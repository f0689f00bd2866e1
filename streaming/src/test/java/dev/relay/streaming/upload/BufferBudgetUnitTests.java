package dev.relay.streaming.upload;

import dev.relay.api.wire.UploadEvent;
import dev.relay.streaming.upload.SessionHarness.Channel;
import dev.relay.streaming.upload.SessionHarness.Upload;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.relay.streaming.upload.SessionHarness.MIB;
import static dev.relay.streaming.upload.SessionHarness.TIMEOUT;
import static dev.relay.streaming.upload.SessionHarness.assertNoCreditFor;
import static dev.relay.streaming.upload.SessionHarness.await;
import static dev.relay.streaming.upload.SessionState.HIBERNATED;
import static dev.relay.streaming.upload.SessionState.WAKING;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The node's buffer budget across write channels: parts of 5 MiB, a budget of 20 MiB (four part buffers). A channel
 * past the budget gets no credit (its client sees a pause) until another channel gives memory back, and then
 * completes with every byte; the budget is never overdrawn and is all given back at the end.
 */
class BufferBudgetUnitTests {

    private static final long BUDGET = 20 * MIB;

    private final SessionHarness engine = new SessionHarness(Duration.ofSeconds(2), false, BUDGET);
    private final BufferBudget budget = engine.service.bufferBudget();

    @Test
    void creditPastTheBudgetWaitsUntilAnotherUploadGivesMemoryBackAndThenEveryUploadCompletes() throws Exception {
        List<Upload> uploads = new ArrayList<>();
        List<Channel> channels = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Upload upload = engine.upload((int) (6 * MIB) + i * 1000, null);
            uploads.add(upload);
            // A first MiB into each: every channel now holds a 5 MiB part buffer.
            channels.add(engine.open(upload).sendUntil(MIB));
        }
        assertThat(budget.used()).isEqualTo(BUDGET);

        Upload late = engine.upload((int) (6 * MIB) + 4000, null);
        Channel waiting = engine.open(late);
        assertNoCreditFor(waiting, Duration.ofMillis(300));
        assertThat(waiting.granted.get()).isZero();
        assertThat(budget.waiting()).isPositive();
        assertThat(budget.used()).isLessThanOrEqualTo(BUDGET);

        // The first upload runs into its second part on the memory of its first (stored by then), completes, and
        // gives its buffer back: the waiting channel's credit flows.
        channels.get(0).sendAll().awaitEnd();
        waiting.sendAll().awaitEnd();
        uploads.add(late);
        channels.add(waiting);
        for (Channel channel : channels.subList(1, 4)) {
            channel.sendAll().awaitEnd();
        }

        for (int i = 0; i < uploads.size(); i++) {
            Channel channel = channels.get(i);
            assertThat(channel.error.get()).isNull();
            assertThat(channel.last().type()).isEqualTo(UploadEvent.Type.COMPLETED);
            assertThat(engine.store.object(engine.record(uploads.get(i).id()).objectKey()))
                    .isEqualTo(uploads.get(i).data());
        }
        assertThat(budget.waits()).isPositive();
        await("every buffer given back", () -> budget.used() == 0);
    }

    @Test
    void aHibernatedUploadHoldsNothingOfTheBudget() {
        Upload upload = engine.upload((int) (7 * MIB), null);
        Channel channel = engine.open(upload).sendUntil(2 * MIB);
        assertThat(budget.used()).isPositive();

        engine.service.pause(SessionHarness.OWNER, upload.id()).block(TIMEOUT);
        channel.sendGranted();
        await("hibernated", () -> engine.states.contains(HIBERNATED));

        assertThat(budget.used()).isZero();
    }

    @Test
    void aResumedUploadLoadsItsStagedBytesOnlyOnceTheBudgetHasRoomForThem() throws Exception {
        Upload paused = engine.upload((int) (7 * MIB), null);
        Channel first = engine.open(paused).sendUntil(2 * MIB);
        engine.service.pause(SessionHarness.OWNER, paused.id()).block(TIMEOUT);
        first.sendGranted();
        await("hibernated", () -> engine.states.contains(HIBERNATED));
        List<Channel> holders = new ArrayList<>();
        List<Upload> held = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Upload upload = engine.upload((int) (6 * MIB) + 10_000 + i, null);
            held.add(upload);
            holders.add(engine.open(upload).sendUntil(MIB));
        }
        assertThat(budget.used()).isEqualTo(BUDGET);

        engine.service.resume(SessionHarness.OWNER, paused.id()).block(TIMEOUT);
        long granted = first.granted.get();
        assertNoCreditFor(first, Duration.ofMillis(300));
        assertThat(engine.states).as("no staged bytes loaded without memory for them").doesNotContain(WAKING);
        assertThat(budget.used()).isLessThanOrEqualTo(BUDGET);

        holders.get(0).sendAll().awaitEnd();
        await("credit after the wake", () -> first.granted.get() > granted);
        first.sendAll().awaitEnd();
        for (Channel channel : holders.subList(1, 4)) {
            channel.sendAll().awaitEnd();
        }
        assertThat(first.last().type()).isEqualTo(UploadEvent.Type.COMPLETED);
        assertThat(engine.store.object(engine.record(paused.id()).objectKey())).isEqualTo(paused.data());
        for (int i = 0; i < 4; i++) {
            assertThat(engine.store.object(engine.record(held.get(i).id()).objectKey())).isEqualTo(held.get(i).data());
        }
        await("every buffer given back", () -> budget.used() == 0);
    }

    @Test
    void aChannelThatSendsNothingClaimsOnlyWhatItsCreditCanFill() {
        Upload upload = engine.upload((int) (9 * MIB), null);
        Channel channel = engine.open(upload);
        await("first credit", () -> channel.granted.get() > 0);

        // Credit granted claims the buffer its bytes will land in (one part), nothing beyond.
        assertThat(budget.used()).isBetween(1L, 5 * MIB);
        channel.sendAll().awaitEnd();
        await("every buffer given back", () -> budget.used() == 0);
    }
}
