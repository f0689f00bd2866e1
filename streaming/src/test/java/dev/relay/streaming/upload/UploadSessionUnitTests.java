package dev.relay.streaming.upload;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.api.wire.UploadEvent;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.ObjectStore.PendingMultipart;
import dev.relay.streaming.port.UploadRecord;
import dev.relay.streaming.testing.InMemoryObjectStore;
import dev.relay.streaming.testing.InMemoryUploadRepository;
import dev.relay.streaming.upload.SessionHarness.Channel;
import dev.relay.streaming.upload.SessionHarness.Upload;
import org.junit.jupiter.api.Test;
import reactor.test.publisher.TestPublisher;

import java.time.Duration;
import java.util.Arrays;

import static dev.relay.streaming.upload.SessionHarness.CHUNK;
import static dev.relay.streaming.upload.SessionHarness.MIB;
import static dev.relay.streaming.upload.SessionHarness.TIMEOUT;
import static dev.relay.streaming.upload.SessionHarness.assertNoCreditFor;
import static dev.relay.streaming.upload.SessionHarness.await;
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

/**
 * The write session's state machine on in-memory ports: each test drives a channel as a client would and asserts
 * the sequence of states the session moved through, and what is durable afterwards.
 */
class UploadSessionUnitTests {

    private final SessionHarness engine = harness(Duration.ofSeconds(2), false);

    /** The engine these tests drive (a subclass runs them all with parts in spool files). */
    SessionHarness harness(Duration storageRetry, boolean receiveAhead) {
        return new SessionHarness(storageRetry, receiveAhead);
    }

    private static TransferException errorOf(Channel channel) {
        assertThat(channel.error.get()).isInstanceOf(TransferException.class);
        return (TransferException) channel.error.get();
    }

    @Test
    void aWholeUploadReceivesThenFinishesAndTheObjectHasItsBytes() {
        Upload upload = engine.upload((int) (12 * MIB + 1000), null);
        Channel channel = engine.open(upload).sendAll();
        channel.awaitEnd();

        assertThat(channel.error.get()).isNull();
        assertThat(channel.last().type()).isEqualTo(UploadEvent.Type.COMPLETED);
        assertThat(channel.last().sha256()).isEqualTo(SessionHarness.sha256(upload.data()));
        assertThat(engine.states).containsExactly(RECEIVING, FINISHING, CLOSED);
        UploadRecord done = engine.record(upload.id());
        assertThat(done.state()).isEqualTo(UploadState.COMPLETED);
        assertThat(engine.store.object(done.objectKey())).isEqualTo(upload.data());
        assertThat(engine.store.pendingUploads()).isEmpty();
    }

    @Test
    void aPausedSessionHibernatesOnceItsCreditIsUsedAndWakesFromTheStagedTailOnResume() throws Exception {
        Upload upload = engine.upload((int) (7 * MIB), null);
        Channel channel = engine.open(upload).sendUntil(2 * MIB + 3 * CHUNK);
        engine.service.pause(SessionHarness.OWNER, upload.id()).block(TIMEOUT);
        channel.sendGranted();
        await("hibernated", () -> engine.states.contains(HIBERNATED));

        UploadRecord paused = engine.record(upload.id());
        assertThat(paused.tailBytes()).isEqualTo(channel.sent);
        assertThat(engine.store.object(ObjectKeys.tail(paused)))
                .isEqualTo(Arrays.copyOf(upload.data(), (int) channel.sent));
        assertNoCreditFor(channel, Duration.ofMillis(200));

        engine.service.resume(SessionHarness.OWNER, upload.id()).block(TIMEOUT);
        channel.sendAll().awaitEnd();

        assertThat(channel.error.get()).isNull();
        assertThat(engine.states).containsExactly(RECEIVING, PAUSED, HIBERNATING, HIBERNATED, RECEIVING, WAKING,
                RECEIVING, FINISHING, CLOSED);
        assertThat(engine.store.object(engine.record(upload.id()).objectKey())).isEqualTo(upload.data());
        assertThat(channel.last().sha256()).isEqualTo(SessionHarness.sha256(upload.data()));
    }

    @Test
    void aSessionPausedWhileWakingDropsTheLoadedBytesAndHibernatesAgain() throws Exception {
        Upload upload = engine.upload((int) (7 * MIB), null);
        Channel channel = engine.open(upload).sendUntil(MIB);
        engine.service.pause(SessionHarness.OWNER, upload.id()).block(TIMEOUT);
        channel.sendGranted();
        await("hibernated", () -> engine.states.contains(HIBERNATED));

        engine.store.controls().hold(InMemoryObjectStore.Op.GET_OBJECT);
        engine.service.resume(SessionHarness.OWNER, upload.id()).block(TIMEOUT);
        engine.store.controls().awaitHeld(InMemoryObjectStore.Op.GET_OBJECT, 1, TIMEOUT);
        engine.service.pause(SessionHarness.OWNER, upload.id()).block(TIMEOUT);
        engine.store.controls().release(InMemoryObjectStore.Op.GET_OBJECT);
        await("hibernated again", () -> engine.states.lastIndexOf(HIBERNATED) > engine.states.indexOf(WAKING));
        assertNoCreditFor(channel, Duration.ofMillis(200));

        engine.service.resume(SessionHarness.OWNER, upload.id()).block(TIMEOUT);
        channel.sendAll().awaitEnd();
        assertThat(channel.error.get()).isNull();
        assertThat(engine.states).containsExactly(RECEIVING, PAUSED, HIBERNATING, HIBERNATED, RECEIVING, WAKING,
                PAUSED, HIBERNATED, RECEIVING, WAKING, RECEIVING, FINISHING, CLOSED);
        assertThat(engine.store.object(engine.record(upload.id()).objectKey())).isEqualTo(upload.data());
    }

    @Test
    void aSessionResumedWhileStagingKeepsItsBufferAndReceivesAtOnce() throws Exception {
        Upload upload = engine.upload((int) (7 * MIB), null);
        Channel channel = engine.open(upload).sendUntil(MIB);
        engine.store.controls().hold(InMemoryObjectStore.Op.PUT_OBJECT);
        engine.service.pause(SessionHarness.OWNER, upload.id()).block(TIMEOUT);
        channel.sendGranted();
        engine.store.controls().awaitHeld(InMemoryObjectStore.Op.PUT_OBJECT, 1, TIMEOUT);
        engine.service.resume(SessionHarness.OWNER, upload.id()).block(TIMEOUT);
        channel.sendUntil(2 * MIB);
        engine.store.controls().release(InMemoryObjectStore.Op.PUT_OBJECT);
        channel.sendAll().awaitEnd();

        assertThat(channel.error.get()).isNull();
        assertThat(engine.states).containsExactly(RECEIVING, PAUSED, HIBERNATING, RECEIVING, FINISHING, CLOSED);
        assertThat(engine.store.controls().calls(InMemoryObjectStore.Op.GET_OBJECT)).as("no reload: the buffer was kept").isZero();
        assertThat(engine.store.object(engine.record(upload.id()).objectKey())).isEqualTo(upload.data());
    }

    @Test
    void aHibernationStageThatFailsKeepsTheBytesSoTheUploadGoesOnAfterResume() throws Exception {
        Upload upload = engine.upload((int) (7 * MIB), null);
        Channel channel = engine.open(upload).sendUntil(MIB);
        engine.store.controls().failNext(InMemoryObjectStore.Op.PUT_OBJECT,
                new InMemoryObjectStore.S3Exception("AccessDenied", "refused"));
        engine.service.pause(SessionHarness.OWNER, upload.id()).block(TIMEOUT);
        channel.sendGranted();
        await("back to paused", () -> engine.states.lastIndexOf(PAUSED) > engine.states.indexOf(HIBERNATING));
        assertThat(engine.record(upload.id()).durableOffset()).isZero();

        engine.service.resume(SessionHarness.OWNER, upload.id()).block(TIMEOUT);
        channel.sendAll().awaitEnd();
        assertThat(channel.error.get()).isNull();
        assertThat(engine.states).containsExactly(RECEIVING, PAUSED, HIBERNATING, PAUSED, RECEIVING, FINISHING,
                CLOSED);
        assertThat(engine.store.object(engine.record(upload.id()).objectKey())).isEqualTo(upload.data());
    }

    @Test
    void aCancelWhileTheChannelIsClosingEndsItWithCancelled() throws Exception {
        Upload upload = engine.upload((int) (7 * MIB), null);
        Channel channel = engine.open(upload).sendUntil(MIB);
        engine.store.controls().hold(InMemoryObjectStore.Op.PUT_OBJECT);
        channel.chunks.complete();
        engine.store.controls().awaitHeld(InMemoryObjectStore.Op.PUT_OBJECT, 1, TIMEOUT);
        engine.service.cancel(SessionHarness.OWNER, upload.id()).subscribe();
        await("aborting", () -> engine.states.contains(ABORTING));
        engine.store.controls().release(InMemoryObjectStore.Op.PUT_OBJECT);
        channel.awaitEnd();

        assertThat(errorOf(channel).code()).isEqualTo(ErrorCode.CANCELLED);
        assertThat(engine.states).containsExactly(RECEIVING, CLOSING, ABORTING, CLOSED);
    }

    @Test
    void aChannelThatEndsMidPartStagesWhatItReceivedAndTheNextOneContinuesFromThere() {
        Upload upload = engine.upload((int) (7 * MIB), null);
        Channel first = engine.open(upload).sendUntil(6 * MIB + 5);
        first.chunks.complete();
        first.awaitEnd();

        assertThat(first.error.get()).isNull();
        assertThat(engine.record(upload.id()).durableOffset()).isEqualTo(6 * MIB + 5);
        assertThat(engine.states).containsExactly(RECEIVING, CLOSING, CLOSED);

        Channel second = engine.open(upload).sendAll();
        second.awaitEnd();
        assertThat(second.error.get()).isNull();
        assertThat(engine.states).containsExactly(RECEIVING, CLOSING, CLOSED, RECEIVING, WAKING, RECEIVING,
                FINISHING, CLOSED);
        assertThat(engine.store.object(engine.record(upload.id()).objectKey())).isEqualTo(upload.data());
    }

    @Test
    void aNewChannelTakesOverTheOpenOneWhichStoresWhatItHadAndEndsWithTakenOver() {
        Upload upload = engine.upload((int) (7 * MIB), null);
        Channel first = engine.open(upload).sendUntil(3 * MIB);
        // Opened from the offset known before the takeover: refused once the old channel has staged its bytes.
        Channel second = engine.open(upload);
        first.awaitEnd();
        second.awaitEnd();

        assertThat(errorOf(first).code()).isEqualTo(ErrorCode.TAKEN_OVER);
        assertThat(errorOf(second).code()).isEqualTo(ErrorCode.OFFSET_MISMATCH);
        assertThat(errorOf(second).offset()).isEqualTo(3 * MIB);
        Channel third = engine.open(upload).sendAll();
        third.awaitEnd();
        assertThat(third.error.get()).isNull();
        assertThat(engine.states).containsExactly(RECEIVING, CLOSING, CLOSED, RECEIVING, WAKING, RECEIVING,
                FINISHING, CLOSED);
        assertThat(engine.store.object(engine.record(upload.id()).objectKey())).isEqualTo(upload.data());
    }

    @Test
    void aCancelledUploadAbortsItsSessionAndStoresNothingMore() {
        Upload upload = engine.upload((int) (12 * MIB), null);
        Channel channel = engine.open(upload).sendUntil(7 * MIB);
        engine.service.cancel(SessionHarness.OWNER, upload.id()).block(TIMEOUT);
        channel.awaitEnd();

        assertThat(errorOf(channel).code()).isEqualTo(ErrorCode.CANCELLED);
        assertThat(engine.states).containsExactly(RECEIVING, ABORTING, CLOSED);
        assertThat(engine.store.controls().calls(InMemoryObjectStore.Op.PUT_OBJECT)).as("no tail staged").isZero();
        assertThat(engine.store.pendingUploads()).extracting(PendingMultipart::key)
                .doesNotContain(engine.record(upload.id()).objectKey());
        assertThat(engine.record(upload.id()).state()).isEqualTo(UploadState.CANCELLED);
    }

    @Test
    void aCancelWhileAPartRecordIsUnderWayEndsTheChannelOnceTheRefusedRecordReturns() throws Exception {
        Upload upload = engine.upload((int) (12 * MIB), null);
        engine.repo.controls().hold(InMemoryUploadRepository.Op.RECORD_PART);
        Channel channel = engine.open(upload).sendUntil(6 * MIB);
        engine.repo.controls().awaitHeld(InMemoryUploadRepository.Op.RECORD_PART, 1, TIMEOUT);
        var cancelled = engine.service.cancel(SessionHarness.OWNER, upload.id()).toFuture();
        await("aborting", () -> engine.states.contains(ABORTING));
        // The record now finds the upload cancelled and is refused: the session must still close.
        engine.repo.controls().release(InMemoryUploadRepository.Op.RECORD_PART);
        channel.awaitEnd();
        cancelled.get(TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);

        assertThat(errorOf(channel).code()).isEqualTo(ErrorCode.CANCELLED);
        assertThat(engine.states).containsExactly(RECEIVING, ABORTING, CLOSED);
        assertThat(engine.record(upload.id()).state()).isEqualTo(UploadState.CANCELLED);
    }

    @Test
    void aChecksumMismatchFailsTheUploadAndDiscardsItsParts() {
        Upload upload = engine.upload((int) (6 * MIB), "00".repeat(32));
        Channel channel = engine.open(upload).sendAll();
        channel.awaitEnd();

        assertThat(errorOf(channel).code()).isEqualTo(ErrorCode.CHECKSUM_MISMATCH);
        assertThat(engine.states).containsExactly(RECEIVING, FINISHING, CLOSED);
        UploadRecord failed = engine.record(upload.id());
        assertThat(failed.state()).isEqualTo(UploadState.FAILED);
        assertThat(engine.store.pendingUploads()).isEmpty();
        assertThat(engine.store.object(failed.objectKey())).isNull();
        assertThat(engine.stateChanges).contains(upload.id());
    }

    @Test
    void aWriterWhoseEpochWasSupersededElsewhereEndsWithTakenOverAtItsNextRecord() {
        Upload upload = engine.upload((int) (12 * MIB), null);
        Channel channel = engine.open(upload).sendUntil(MIB);
        engine.repo.claimWriter(upload.id(), 8, "node-1").block(TIMEOUT); // another node's channel
        channel.sendWhileOpen(7 * MIB);
        channel.awaitEnd();

        assertThat(errorOf(channel).code()).isEqualTo(ErrorCode.TAKEN_OVER);
        assertThat(engine.states).containsExactly(RECEIVING, ABORTING, CLOSED);
        assertThat(engine.record(upload.id()).durableOffset()).isZero();
    }

    @Test
    void aShortDatabaseOutageStopsCreditAndTheFlowGoesOnAfterIt() throws Exception {
        SessionHarness engine = harness(Duration.ofSeconds(30), false);
        Upload upload = engine.upload((int) (12 * MIB), null);
        Channel channel = engine.open(upload).sendUntil(MIB);
        await("the multipart upload attached", () -> engine.record(upload.id()).s3UploadId() != null);
        engine.repo.controls().unavailable(true);
        // Without records the bytes not durable reach the part size, and credit stops there.
        await("credit stopped", () -> {
            channel.sendGranted();
            return channel.sent >= 5 * MIB && channel.granted.get() == channel.chunksSent;
        });
        assertNoCreditFor(channel, Duration.ofMillis(300));
        assertThat(channel.sent).isLessThanOrEqualTo(10 * MIB);

        engine.repo.controls().unavailable(false);
        channel.sendAll().awaitEnd();
        assertThat(channel.error.get()).isNull();
        assertThat(engine.states).containsExactly(RECEIVING, FINISHING, CLOSED);
        assertThat(engine.store.object(engine.record(upload.id()).objectKey())).isEqualTo(upload.data());
    }

    @Test
    void anOutageLongerThanTheRetryTimeoutEndsTheChannelWithStorageUnavailableAndNothingDurableIsLost() {
        Upload upload = engine.upload((int) (12 * MIB), null);
        Channel channel = engine.open(upload).sendUntil(6 * MIB);
        await("the first part recorded", () -> engine.record(upload.id()).partsBytes() == 5 * MIB);
        engine.store.controls().unavailable(true);
        channel.sendGranted();
        await("credit to stop or the channel to fail", () -> {
            channel.sendGranted();
            return channel.error.get() != null;
        });

        TransferException error = errorOf(channel);
        assertThat(error.code()).isEqualTo(ErrorCode.STORAGE_UNAVAILABLE);
        assertThat(engine.states).containsExactly(RECEIVING, ABORTING, CLOSED);
        assertThat(engine.record(upload.id()).durableOffset()).isEqualTo(5 * MIB);
    }

    @Test
    void aChunkWithoutCreditClosesTheChannelWithCreditExceeded() {
        Upload upload = engine.upload((int) (6 * MIB), null);
        Channel channel = engine.open(upload,
                TestPublisher.createNoncompliant(TestPublisher.Violation.REQUEST_OVERFLOW));
        channel.sendUntil(MIB);
        // Paused, nothing is granted any more: one chunk past what was granted before is one too many.
        engine.service.pause(SessionHarness.OWNER, upload.id()).block(TIMEOUT);
        for (long i = channel.granted.get() - channel.chunksSent; i >= 0; i--) {
            channel.sendChunk(CHUNK);
        }
        channel.awaitEnd();

        assertThat(errorOf(channel).code()).isEqualTo(ErrorCode.CREDIT_EXCEEDED);
        // Drained by the extra chunk's predecessors, the session may have begun to hibernate first.
        assertThat(engine.states).startsWith(RECEIVING, PAUSED).endsWith(CLOSING, CLOSED);
    }

    @Test
    void aPausedUploadOpensPausedAndHibernatesWithoutCredit() throws Exception {
        Upload upload = engine.upload((int) (6 * MIB), null);
        engine.service.pause(SessionHarness.OWNER, upload.id()).block(TIMEOUT);
        Channel channel = engine.open(upload);
        await("hibernated", () -> engine.states.contains(HIBERNATED));
        assertNoCreditFor(channel, Duration.ofMillis(200));
        assertThat(channel.granted.get()).isZero();

        engine.service.resume(SessionHarness.OWNER, upload.id()).block(TIMEOUT);
        channel.sendAll().awaitEnd();
        assertThat(channel.error.get()).isNull();
        assertThat(engine.states).containsExactly(PAUSED, HIBERNATED, RECEIVING, FINISHING, CLOSED);
    }

    @Test
    void withReceiveAheadTheWholeFileStillArrivesInOrder() {
        SessionHarness ahead = harness(Duration.ofSeconds(2), true);
        Upload upload = ahead.upload((int) (17 * MIB + 3), null);
        Channel channel = ahead.open(upload).sendAll();
        channel.awaitEnd();

        assertThat(channel.error.get()).isNull();
        assertThat(ahead.states).containsExactly(RECEIVING, FINISHING, CLOSED);
        assertThat(ahead.store.object(ahead.record(upload.id()).objectKey())).isEqualTo(upload.data());
    }

    @Test
    void anEmptyFileCompletesAsSoonAsItsChannelOpens() {
        Upload upload = engine.upload(0, null);
        Channel channel = engine.open(upload);
        channel.awaitEnd();

        assertThat(channel.error.get()).isNull();
        assertThat(engine.states).containsExactly(RECEIVING, FINISHING, CLOSED);
        assertThat(engine.store.object(engine.record(upload.id()).objectKey())).isEmpty();
        assertThat(engine.record(upload.id()).state()).isEqualTo(UploadState.COMPLETED);
    }
}
