package dev.relay.streaming.upload;

import dev.relay.api.ErrorCode;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.upload.SessionHarness.Channel;
import dev.relay.streaming.upload.SessionHarness.Upload;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static dev.relay.streaming.upload.SessionHarness.MIB;
import static dev.relay.streaming.upload.SessionHarness.OWNER;
import static dev.relay.streaming.upload.SessionHarness.TIMEOUT;
import static dev.relay.streaming.upload.SessionHarness.assertNoCreditFor;
import static dev.relay.streaming.upload.SessionHarness.await;
import static dev.relay.streaming.upload.SessionState.HIBERNATED;
import static dev.relay.streaming.upload.SessionState.PAUSED;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A verb made through another node whose command never arrived (no node bus here at all) reaches the channel when
 * its node re-reads the uploads it holds.
 */
class ReconcileUnitTests {

    private final SessionHarness engine = new SessionHarness();
    private final UploadService otherNode = engine.node(engine.store, engine.settings);

    @Test
    void aPauseACapAndAResumeMadeElsewhereTakeEffectAtTheNextReRead() throws Exception {
        Upload upload = engine.upload((int) (12 * MIB), null);
        Channel channel = engine.open(upload).sendUntil(MIB);

        otherNode.pause(OWNER, upload.id()).block(TIMEOUT);
        otherNode.limit(OWNER, upload.id(), 1_000_000L).block(TIMEOUT);
        assertThat(engine.states).doesNotContain(PAUSED);
        engine.service.reconcile().block(TIMEOUT);
        channel.sendGranted();
        await("paused", () -> engine.states.contains(PAUSED));
        await("hibernated", () -> engine.states.contains(HIBERNATED));
        assertNoCreditFor(channel, Duration.ofMillis(200));

        otherNode.resume(OWNER, upload.id()).block(TIMEOUT);
        engine.service.reconcile().block(TIMEOUT);
        assertThat(engine.service.telemetry(OWNER, upload.id(), Duration.ofMillis(10), java.time.Clock.systemUTC())
                .blockFirst(TIMEOUT).limitBytesPerSecond()).as("the cap read back").isEqualTo(1_000_000L);
        channel.sendUntil(2 * MIB);

        otherNode.cancel(OWNER, upload.id()).block(TIMEOUT);
        engine.service.reconcile().block(TIMEOUT);
        channel.awaitEnd();
        assertThat(((TransferException) channel.error.get()).code()).isEqualTo(ErrorCode.CANCELLED);
    }
}
