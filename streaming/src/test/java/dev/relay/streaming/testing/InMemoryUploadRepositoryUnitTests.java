package dev.relay.streaming.testing;

import dev.relay.streaming.port.DurablePoint;
import dev.relay.streaming.port.NewUpload;
import dev.relay.streaming.port.PartRecord;
import dev.relay.streaming.port.StorageUnavailableException;
import dev.relay.streaming.port.UploadLimits;
import dev.relay.streaming.port.UploadRecord;
import dev.relay.streaming.testing.InMemoryUploadRepository.Op;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The test controls of the in-memory repository. */
class InMemoryUploadRepositoryUnitTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final InMemoryUploadRepository repository = new InMemoryUploadRepository();

    @Test
    void aHeldRecordLeavesTheDurablePointUntilReleased() throws Exception {
        UploadRecord upload = create("u1");
        long epoch = repository.claimWriter(upload.id(), 8, "node-1").block(TIMEOUT).epoch();
        repository.controls().hold(Op.RECORD_PART);
        CompletableFuture<Boolean> recorded = repository.recordPart(upload.id(), epoch, new PartRecord(1, "e", 10),
                new DurablePoint(10, 0, new byte[]{1}), 9).toFuture();
        repository.controls().awaitHeld(Op.RECORD_PART, 1, TIMEOUT);

        assertThat(repository.find(upload.id()).block(TIMEOUT).durableOffset()).isZero();
        repository.controls().release(Op.RECORD_PART);
        assertThat(repository.find(upload.id()).block(TIMEOUT).durableOffset()).isEqualTo(10);
        assertThat(recorded.get(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void anOutageOrAQueuedFailureFailsCallsWithoutEffect() {
        UploadRecord upload = create("u1");
        repository.controls().unavailable(true);
        assertThatThrownBy(() -> repository.claimWriter(upload.id(), 8, "node-1").block(TIMEOUT))
                .isInstanceOf(StorageUnavailableException.class);
        assertThatThrownBy(() -> repository.listByOwner("u1").blockLast(TIMEOUT))
                .isInstanceOf(StorageUnavailableException.class);
        repository.controls().unavailable(false);

        repository.controls().failNext(Op.CLAIM_WRITER, new StorageUnavailableException("deadlock", null));
        assertThat(repository.claimWriter(upload.id(), 8, "node-1").retry(1).block(TIMEOUT).epoch()).as("one epoch bump only")
                .isEqualTo(1);
        assertThat(repository.controls().calls(Op.CLAIM_WRITER)).isEqualTo(3);
    }

    /** Results come on a non-blocking thread, as R2DBC's: a blocking call in a callback fails as it would there. */
    @Test
    void resultsArriveOnAThreadThatMayNotBlock() {
        UploadRecord upload = create("u1");
        Mono<Object> blocking = repository.find(upload.id()).map(u -> repository.find(u.id()).block(TIMEOUT));
        assertThatThrownBy(() -> blocking.block(TIMEOUT)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("block");
    }

    /** A fixed clock still gives every change its own time, so lists and idle checks stay ordered. */
    @Test
    void timestampsFollowTheClockAndNeverRepeat() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        InMemoryUploadRepository fixed = new InMemoryUploadRepository(Schedulers.immediate(),
                Clock.fixed(now, ZoneOffset.UTC));
        UploadRecord first = fixed.create(upload("u1"), new UploadLimits(1000, 10)).block(TIMEOUT);
        UploadRecord second = fixed.create(upload("u1"), new UploadLimits(1000, 10)).block(TIMEOUT);
        assertThat(first.createdAt()).isEqualTo(now);
        assertThat(second.createdAt()).isAfter(first.createdAt());
        assertThat(fixed.listByOwner("u1").map(UploadRecord::id).collectList().block(TIMEOUT))
                .containsExactly(second.id(), first.id());
    }

    private UploadRecord create(String owner) {
        return repository.create(upload(owner), new UploadLimits(1000, 10)).block(TIMEOUT);
    }

    private static NewUpload upload(String owner) {
        String id = UUID.randomUUID().toString();
        return new NewUpload(id, owner, "f", 10, "x/y", null, 5L << 20, "files/" + id);
    }
}
