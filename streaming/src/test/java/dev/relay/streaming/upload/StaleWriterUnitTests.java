package dev.relay.streaming.upload;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.TransferSettings;
import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.PartRecord;
import dev.relay.streaming.port.UploadRecord;
import dev.relay.streaming.testing.InMemoryObjectStore;
import dev.relay.streaming.upload.SessionHarness.Channel;
import dev.relay.streaming.upload.SessionHarness.Upload;
import org.junit.jupiter.api.Test;
import reactor.test.publisher.TestPublisher;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Random;

import static dev.relay.streaming.upload.SessionHarness.CHUNK;
import static dev.relay.streaming.upload.SessionHarness.MIB;
import static dev.relay.streaming.upload.SessionHarness.TIMEOUT;
import static dev.relay.streaming.upload.SessionHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two nodes on one database and one S3 store, and a writer on node A that goes on after its client resumed on node
 * B (its connection died silently): whatever A still stores must never become part of the file B completes. The
 * same for a stored part that was changed behind the engine's back: the upload fails rather than complete it.
 */
class StaleWriterUnitTests {

    private final SessionHarness engine = new SessionHarness();

    @Test
    void aStaleNodesLatePartNeverReplacesAPartOfTheWriterThatTookOver() {
        // Node B fills parts of 6 MiB where A fills 5: the same part number would hold other bytes.
        UploadService nodeB = engine.node(plain(engine.store), new TransferSettings(CHUNK, CHUNK, MIB, 10 * MIB,
                6 * MIB, 10_000, 1L << 40, 1L << 42, 100, Duration.ofSeconds(2), Duration.ofHours(1), 1L << 30, false));
        Upload upload = engine.upload((int) (14 * MIB), null);

        // A's first part is complete and on its way to S3, where it is held up.
        engine.store.controls().hold(InMemoryObjectStore.Op.UPLOAD_PART_STREAMED);
        Channel onA = engine.open(upload).sendUntil(5 * MIB + CHUNK);
        awaitHeld(InMemoryObjectStore.Op.UPLOAD_PART_STREAMED);

        // The client resumes on B, whose first part is stored and recorded.
        Channel onB = engine.open(nodeB, upload, TestPublisher.create()).sendUntil(7 * MIB);
        await("B's first part recorded", () -> engine.record(upload.id()).partsBytes() == 6 * MIB);

        // A's part lands late; its record is refused.
        engine.store.controls().release(InMemoryObjectStore.Op.UPLOAD_PART_STREAMED);
        onA.awaitEnd();
        assertThat(((TransferException) onA.error.get()).code()).isEqualTo(ErrorCode.TAKEN_OVER);

        onB.sendAll().awaitEnd();
        assertThat(onB.error.get()).isNull();
        UploadRecord done = engine.record(upload.id());
        assertThat(done.state()).isEqualTo(UploadState.COMPLETED);
        assertThat(engine.store.object(done.objectKey())).as("the client's bytes").isEqualTo(upload.data());
    }

    @Test
    void aStoredPartThatIsNotTheRecordedOneFailsTheUploadInsteadOfCompletingAWrongFile() {
        Upload upload = engine.upload((int) (7 * MIB), null);
        Channel channel = engine.open(upload).sendUntil(6 * MIB);
        await("the first part recorded", () -> engine.record(upload.id()).partsBytes() == 5 * MIB);
        UploadRecord record = engine.record(upload.id());
        PartRecord first = engine.repo.parts(upload.id()).blockFirst(TIMEOUT);
        byte[] other = new byte[(int) first.size()];
        new Random(9).nextBytes(other);
        engine.store.uploadPart(record.objectKey(), record.s3UploadId(), first.number(), other, other.length)
                .block(TIMEOUT);

        channel.sendAll().awaitEnd();
        assertThat(((TransferException) channel.error.get()).code()).isEqualTo(ErrorCode.STORAGE_INCONSISTENT);
        UploadRecord failed = engine.record(upload.id());
        assertThat(failed.state()).isEqualTo(UploadState.FAILED);
        assertThat(failed.error()).startsWith(ErrorCode.STORAGE_INCONSISTENT.name());
        assertThat(engine.store.object(failed.objectKey())).as("no file was assembled").isNull();
    }

    private void awaitHeld(InMemoryObjectStore.Op op) {
        try {
            engine.store.controls().awaitHeld(op, 1, TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The store without its streamed part uploads: every part goes whole, and none is held with A's. */
    private static ObjectStore plain(ObjectStore store) {
        return (ObjectStore) Proxy.newProxyInstance(ObjectStore.class.getClassLoader(),
                new Class<?>[]{ObjectStore.class}, (proxy, method, args) -> {
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
