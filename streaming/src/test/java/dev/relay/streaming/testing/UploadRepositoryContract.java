package dev.relay.streaming.testing;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.DurablePoint;
import dev.relay.streaming.port.FileCatalog;
import dev.relay.streaming.port.NewUpload;
import dev.relay.streaming.port.PartRecord;
import dev.relay.streaming.port.UploadLimits;
import dev.relay.streaming.port.UploadRecord;
import dev.relay.streaming.port.UploadRepository;
import dev.relay.streaming.port.WriterClaim;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the engine relies on from an {@link UploadRepository} and its read side ({@link FileCatalog}), run against
 * every implementation: the R2DBC adapter on MariaDB and the in-memory fixture. Above all, every change is
 * conditional: a stale writer, a final upload or a wrong durable point changes nothing and says so.
 */
public interface UploadRepositoryContract {

    Duration TIMEOUT = Duration.ofSeconds(20);
    long MIB = 1L << 20;
    UploadLimits GENEROUS = new UploadLimits(1L << 40, 100);

    UploadRepository uploads();

    FileCatalog files();

    /** A user who may own uploads (the R2DBC adapter needs an account row); a new one on every call. */
    String newOwner();

    /** Claims the upload for a new writer with 8 part numbers; returns its epoch. */
    private long claim(String id) {
        return uploads().claimWriter(id, 8, "node-1").block(TIMEOUT).epoch();
    }

    /** Records a part, reserving part numbers through 8 past it. */
    private Mono<Boolean> recordPart(String id, long epoch, PartRecord part, DurablePoint point) {
        return uploads().recordPart(id, epoch, part, point, part.number() + 8);
    }

    private Mono<Integer> lastPartNumber(String id) {
        return uploads().parts(id).map(PartRecord::number).reduce(0, Math::max);
    }

    @Test
    default void aNewUploadIsActiveWithNothingDurableAndNoWriter() {
        String owner = newOwner();
        String recipient = newOwner();
        String id = UUID.randomUUID().toString();
        UploadRecord created = uploads().create(new NewUpload(id, owner, "f.bin", 20 * MIB, "application/pdf",
                "ab".repeat(32), 5 * MIB, "files/" + id, recipient), GENEROUS).block(TIMEOUT);

        assertThat(created).isEqualTo(uploads().find(id).block(TIMEOUT));
        assertThat(created.id()).isEqualTo(id);
        assertThat(created.ownerId()).isEqualTo(owner);
        assertThat(created.recipientId()).isEqualTo(recipient);
        assertThat(created.name()).isEqualTo("f.bin");
        assertThat(created.size()).isEqualTo(20 * MIB);
        assertThat(created.contentType()).isEqualTo("application/pdf");
        assertThat(created.expectedSha256()).isEqualTo("ab".repeat(32));
        assertThat(created.partSize()).isEqualTo(5 * MIB);
        assertThat(created.objectKey()).isEqualTo("files/" + id);
        assertThat(created.state()).isEqualTo(UploadState.ACTIVE);
        assertThat(created.writerEpoch()).isZero();
        assertThat(created.durableOffset()).isZero();
        assertThat(created.s3UploadId()).isNull();
        assertThat(created.digestState()).isNull();
        assertThat(created.sha256()).isNull();
        assertThat(created.error()).isNull();
        assertThat(created.createdAt()).isNotNull().isEqualTo(created.updatedAt());
        assertThat(uploads().find(UUID.randomUUID().toString()).blockOptional(TIMEOUT)).isEmpty();
    }

    @Test
    default void claimingBumpsTheEpochOfOpenUploadsOnly() {
        UploadRecord upload = newUpload(newOwner(), 10);
        long first = claim(upload.id());
        assertThat(claim(upload.id())).isEqualTo(first + 1);
        uploads().transition(upload.id(), UploadState.PAUSED, null, null).block(TIMEOUT);
        assertThat(claim(upload.id())).as("paused is open").isEqualTo(first + 2);

        uploads().transition(upload.id(), UploadState.CANCELLED, null, null).block(TIMEOUT);
        assertThat(uploads().claimWriter(upload.id(), 8, "node-1").blockOptional(TIMEOUT)).as("no writer for a final upload")
                .isEmpty();
        assertThat(uploads().find(upload.id()).block(TIMEOUT).writerEpoch()).isEqualTo(first + 2);
        assertThat(uploads().claimWriter(UUID.randomUUID().toString(), 8, "node-1").blockOptional(TIMEOUT)).isEmpty();
    }

    @Test
    default void onlyTheCurrentWriterEpochCanRecord() {
        UploadRecord upload = newUpload(newOwner(), 20 * MIB);
        long stale = claim(upload.id());
        long current = claim(upload.id());

        assertThat(lastPartNumber(upload.id()).block(TIMEOUT)).isZero();
        DurablePoint point = new DurablePoint(5 * MIB, 0, new byte[]{1});
        assertThat(recordPart(upload.id(), stale, new PartRecord(1, "e1", 5 * MIB), point).block(TIMEOUT))
                .as("stale writer").isFalse();
        assertThat(lastPartNumber(upload.id()).block(TIMEOUT)).as("nothing recorded").isZero();
        assertThat(recordPart(upload.id(), current, new PartRecord(1, "e1", 5 * MIB), point)
                .block(TIMEOUT)).isTrue();
        assertThat(uploads().recordTail(upload.id(), stale, new DurablePoint(5 * MIB, 100, new byte[]{9}))
                .block(TIMEOUT)).as("stale writer's tail").isFalse();
        assertThat(uploads().recordTail(upload.id(), current, new DurablePoint(5 * MIB, 100, new byte[]{2}))
                .block(TIMEOUT)).isTrue();
        assertThat(uploads().complete(upload.id(), stale, "x".repeat(64)).block(TIMEOUT))
                .as("stale writer's completion").isFalse();

        UploadRecord stored = uploads().find(upload.id()).block(TIMEOUT);
        assertThat(stored.state()).isEqualTo(UploadState.ACTIVE);
        assertThat(stored.durableOffset()).isEqualTo(5 * MIB + 100);
        assertThat(stored.digestState()).containsExactly(2);
        assertThat(uploads().parts(upload.id()).collectList().block(TIMEOUT)).containsExactly(
                new PartRecord(1, "e1", 5 * MIB));
        assertThat(lastPartNumber(upload.id()).block(TIMEOUT)).isEqualTo(1);
    }

    @Test
    default void aTailMustStartWhereThePartsEnd() {
        UploadRecord upload = newUpload(newOwner(), 20 * MIB);
        long epoch = claim(upload.id());
        recordPart(upload.id(), epoch, new PartRecord(1, "e1", 5 * MIB),
                new DurablePoint(5 * MIB, 0, new byte[]{1})).block(TIMEOUT);

        assertThat(uploads().recordTail(upload.id(), epoch, new DurablePoint(0, 100, new byte[]{2})).block(TIMEOUT))
                .as("behind the parts").isFalse();
        assertThat(uploads().recordTail(upload.id(), epoch, new DurablePoint(10 * MIB, 100, new byte[]{2}))
                .block(TIMEOUT)).as("beyond the parts").isFalse();
        UploadRecord stored = uploads().find(upload.id()).block(TIMEOUT);
        assertThat(stored.tailBytes()).isZero();
        assertThat(stored.digestState()).containsExactly(1);
    }

    /** Recording the part that the staged tail began consumes the tail: the durable offset is the parts' end. */
    @Test
    default void aRecordedPartConsumesTheTail() {
        UploadRecord upload = newUpload(newOwner(), 20 * MIB);
        long epoch = claim(upload.id());
        assertThat(uploads().recordTail(upload.id(), epoch, new DurablePoint(0, 1000, new byte[]{1})).block(TIMEOUT))
                .isTrue();
        assertThat(uploads().find(upload.id()).block(TIMEOUT).tailBytes()).isEqualTo(1000);

        assertThat(recordPart(upload.id(), epoch, new PartRecord(1, "e1", 5 * MIB),
                new DurablePoint(5 * MIB, 0, new byte[]{2})).block(TIMEOUT)).isTrue();
        UploadRecord stored = uploads().find(upload.id()).block(TIMEOUT);
        assertThat(stored.partsBytes()).isEqualTo(5 * MIB);
        assertThat(stored.tailBytes()).isZero();
        assertThat(stored.digestState()).containsExactly(2);
    }

    /**
     * A writer that took over re-sends and re-records a part. A write channel numbers its parts on from the highest
     * recorded number, which is not the count when numbers skip.
     */
    @Test
    default void aPartRecordedAgainReplacesTheEarlierRecordAndPartsComeInNumberOrder() {
        UploadRecord upload = newUpload(newOwner(), 30 * MIB);
        long epoch = claim(upload.id());
        for (int number : new int[]{2, 1, 4}) {
            recordPart(upload.id(), epoch, new PartRecord(number, "e" + number, 5 * MIB),
                    new DurablePoint(number * 5 * MIB, 0, new byte[]{(byte) number})).block(TIMEOUT);
        }
        recordPart(upload.id(), epoch, new PartRecord(2, "again", 4 * MIB),
                new DurablePoint(15 * MIB, 0, new byte[]{4})).block(TIMEOUT);

        assertThat(uploads().parts(upload.id()).collectList().block(TIMEOUT)).containsExactly(
                new PartRecord(1, "e1", 5 * MIB), new PartRecord(2, "again", 4 * MIB),
                new PartRecord(4, "e4", 5 * MIB));
        assertThat(lastPartNumber(upload.id()).block(TIMEOUT)).isEqualTo(4);
        assertThat(uploads().parts(UUID.randomUUID().toString()).collectList().block(TIMEOUT)).isEmpty();
    }

    /**
     * Each writer's S3 part numbers start past everything an earlier writer reserved, so a stale writer's late part
     * can never replace a part of the current one; a closed writer gives back what it did not use.
     */
    @Test
    default void eachWriterGetsPartNumbersNoEarlierWriterCouldHaveUsed() {
        UploadRecord upload = newUpload(newOwner(), 100 * MIB);
        WriterClaim first = uploads().claimWriter(upload.id(), 8, "node-1").block(TIMEOUT);
        assertThat(first.firstPartNumber()).isEqualTo(1);
        assertThat(first.partNumbersThrough()).isEqualTo(8);
        assertThat(uploads().recordPart(upload.id(), first.epoch(), new PartRecord(1, "e1", 5 * MIB),
                new DurablePoint(5 * MIB, 0, new byte[]{1}), 9).block(TIMEOUT)).isTrue();
        assertThat(uploads().recordPart(upload.id(), first.epoch(), new PartRecord(2, "e2", 5 * MIB),
                new DurablePoint(10 * MIB, 0, new byte[]{2}), 3).block(TIMEOUT)).as("never shrinks").isTrue();

        WriterClaim second = uploads().claimWriter(upload.id(), 8, "node-1").block(TIMEOUT);
        assertThat(second.epoch()).isEqualTo(first.epoch() + 1);
        assertThat(second.firstPartNumber()).as("past the first writer's reservation").isEqualTo(10);
        assertThat(second.partNumbersThrough()).isEqualTo(17);
        assertThat(uploads().recordPart(upload.id(), first.epoch(), new PartRecord(3, "late", 5 * MIB),
                new DurablePoint(15 * MIB, 0, new byte[]{3}), 40).block(TIMEOUT)).as("stale").isFalse();
        assertThat(uploads().releaseWriter(upload.id(), first.epoch(), 2).block(TIMEOUT)).as("stale").isFalse();
        assertThat(uploads().releaseWriter(upload.id(), second.epoch(), 30).block(TIMEOUT))
                .as("a release never reserves more").isFalse();

        assertThat(uploads().releaseWriter(upload.id(), second.epoch(), 11).block(TIMEOUT)).isTrue();
        assertThat(uploads().find(upload.id()).block(TIMEOUT).writerNode()).as("released").isNull();
        WriterClaim third = uploads().claimWriter(upload.id(), 8, "node-2").block(TIMEOUT);
        assertThat(third.firstPartNumber()).as("after the numbers the second writer used").isEqualTo(12);
        assertThat(uploads().find(upload.id()).block(TIMEOUT).writerNode()).as("the last claim's node")
                .isEqualTo("node-2");
    }

    @Test
    default void aRateCapIsKeptWithAnOpenUploadOnly() {
        UploadRecord upload = newUpload(newOwner(), MIB);
        assertThat(upload.rateLimit()).isZero();
        assertThat(uploads().setRateLimit(upload.id(), 1000).block(TIMEOUT)).isTrue();
        assertThat(uploads().setRateLimit(upload.id(), 1000).block(TIMEOUT)).as("unchanged is fine").isTrue();
        assertThat(uploads().find(upload.id()).block(TIMEOUT).rateLimit()).isEqualTo(1000);
        uploads().transition(upload.id(), UploadState.CANCELLED, null, null).block(TIMEOUT);
        assertThat(uploads().setRateLimit(upload.id(), 5).block(TIMEOUT)).isFalse();
        assertThat(uploads().find(upload.id()).block(TIMEOUT).rateLimit()).isEqualTo(1000);
    }

    @Test
    default void findAllReturnsTheUploadsThatExistAmongTheIds() {
        String owner = newOwner();
        UploadRecord first = newUpload(owner, MIB);
        UploadRecord second = newUpload(owner, MIB);
        assertThat(uploads().findAll(List.of(first.id(), second.id(), UUID.randomUUID().toString()))
                .map(UploadRecord::id).collectList().block(TIMEOUT)).containsExactlyInAnyOrder(first.id(), second.id());
        assertThat(uploads().findAll(List.of()).collectList().block(TIMEOUT)).isEmpty();
        assertThat(first.writerNode()).as("never claimed").isNull();
    }

    @Test
    default void aTailIsRecordedWithTheEpochOfTheWriterThatStagedIt() {
        UploadRecord upload = newUpload(newOwner(), 20 * MIB);
        long first = claim(upload.id());
        uploads().recordTail(upload.id(), first, new DurablePoint(0, 100, new byte[]{1})).block(TIMEOUT);
        assertThat(uploads().find(upload.id()).block(TIMEOUT).tailEpoch()).isEqualTo(first);

        long second = claim(upload.id());
        assertThat(uploads().find(upload.id()).block(TIMEOUT).tailEpoch()).as("until another stage")
                .isEqualTo(first);
        uploads().recordTail(upload.id(), second, new DurablePoint(0, 200, new byte[]{2})).block(TIMEOUT);
        UploadRecord staged = uploads().find(upload.id()).block(TIMEOUT);
        assertThat(staged.tailEpoch()).isEqualTo(second);
        assertThat(staged.tailBytes()).isEqualTo(200);
    }

    /** The S3 multipart upload is created lazily by the first writer to need it, and never replaced. */
    @Test
    default void aMultipartUploadIsAttachedOnceAndOnlyByTheCurrentWriter() {
        UploadRecord upload = newUpload(newOwner(), 20 * MIB);
        long stale = claim(upload.id());
        long current = claim(upload.id());

        assertThat(uploads().attachMultipart(upload.id(), stale, "mp-stale").block(TIMEOUT)).isFalse();
        assertThat(uploads().attachMultipart(upload.id(), current, "mp-1").block(TIMEOUT)).isTrue();
        assertThat(uploads().attachMultipart(upload.id(), current, "mp-2").block(TIMEOUT)).as("already attached")
                .isFalse();
        long next = claim(upload.id());
        assertThat(uploads().attachMultipart(upload.id(), next, "mp-3").block(TIMEOUT)).as("a later writer neither")
                .isFalse();
        assertThat(uploads().find(upload.id()).block(TIMEOUT).s3UploadId()).isEqualTo("mp-1");
    }

    @Test
    default void completionNeedsTheCurrentWriterAndAnOpenUpload() {
        UploadRecord upload = newUpload(newOwner(), 10);
        long epoch = claim(upload.id());
        uploads().recordTail(upload.id(), epoch, new DurablePoint(0, 10, new byte[]{1})).block(TIMEOUT);
        uploads().transition(upload.id(), UploadState.PAUSED, null, null).block(TIMEOUT);

        // Chunks granted credit before the pause may carry the last bytes: a paused upload can complete.
        assertThat(uploads().complete(upload.id(), epoch, "a".repeat(64)).block(TIMEOUT)).isTrue();
        UploadRecord completed = uploads().find(upload.id()).block(TIMEOUT);
        assertThat(completed.state()).isEqualTo(UploadState.COMPLETED);
        assertThat(completed.sha256()).isEqualTo("a".repeat(64));
        assertThat(completed.digestState()).as("no more bytes to hash").isNull();
        assertThat(uploads().complete(upload.id(), epoch, "b".repeat(64)).block(TIMEOUT)).as("only once").isFalse();
        assertThat(uploads().find(upload.id()).block(TIMEOUT).sha256()).isEqualTo("a".repeat(64));
    }

    /** Cancel or expiry while a writer is at work: whatever it still records is refused. */
    @Test
    default void aFinalUploadRefusesEveryWrite() {
        UploadRecord upload = newUpload(newOwner(), 20 * MIB);
        long epoch = claim(upload.id());
        uploads().transition(upload.id(), UploadState.CANCELLED, null, null).block(TIMEOUT);

        assertThat(uploads().attachMultipart(upload.id(), epoch, "mp").block(TIMEOUT)).isFalse();
        assertThat(recordPart(upload.id(), epoch, new PartRecord(1, "e1", 5 * MIB),
                new DurablePoint(5 * MIB, 0, new byte[]{1})).block(TIMEOUT)).isFalse();
        assertThat(uploads().recordTail(upload.id(), epoch, new DurablePoint(0, 10, new byte[]{1})).block(TIMEOUT))
                .isFalse();
        assertThat(uploads().complete(upload.id(), epoch, "x".repeat(64)).block(TIMEOUT)).isFalse();

        UploadRecord stored = uploads().find(upload.id()).block(TIMEOUT);
        assertThat(stored.state()).isEqualTo(UploadState.CANCELLED);
        assertThat(stored.durableOffset()).isZero();
        assertThat(stored.s3UploadId()).isNull();
        assertThat(uploads().parts(upload.id()).collectList().block(TIMEOUT)).isEmpty();
    }

    @Test
    default void transitionsFollowTheStateMachineAndFinalStatesStayFinal() {
        UploadRecord upload = newUpload(newOwner(), 10);
        assertThat(uploads().transition(upload.id(), UploadState.ACTIVE, null, null).blockOptional(TIMEOUT))
                .as("to the state it is in").isEmpty();
        assertThat(uploads().transition(upload.id(), UploadState.PAUSED, null, null).block(TIMEOUT).state())
                .isEqualTo(UploadState.PAUSED);
        assertThat(uploads().transition(upload.id(), UploadState.ACTIVE, null, null).block(TIMEOUT).state())
                .isEqualTo(UploadState.ACTIVE);
        assertThat(uploads().transition(upload.id(), UploadState.CANCELLED, null, null).block(TIMEOUT).state())
                .isEqualTo(UploadState.CANCELLED);
        for (UploadState other : List.of(UploadState.ACTIVE, UploadState.PAUSED, UploadState.COMPLETED,
                UploadState.EXPIRED, UploadState.FAILED)) {
            assertThat(uploads().transition(upload.id(), other, null, null).blockOptional(TIMEOUT)).as("to " + other)
                    .isEmpty();
        }
        assertThat(uploads().find(upload.id()).block(TIMEOUT).state()).isEqualTo(UploadState.CANCELLED);

        // A final upload can still be deleted (its file message was), and then nothing more happens to it.
        assertThat(uploads().transition(upload.id(), UploadState.DELETED, null, null).block(TIMEOUT).state())
                .isEqualTo(UploadState.DELETED);
        assertThat(uploads().transition(upload.id(), UploadState.DELETED, null, null).blockOptional(TIMEOUT))
                .isEmpty();
        assertThat(uploads().transition(UUID.randomUUID().toString(), UploadState.PAUSED, null, null)
                .blockOptional(TIMEOUT)).isEmpty();
    }

    @Test
    default void aFailedUploadKeepsItsError() {
        UploadRecord upload = newUpload(newOwner(), 10);
        UploadRecord failed = uploads().transition(upload.id(), UploadState.FAILED, ErrorCode.CHECKSUM_MISMATCH,
                "The received bytes have another SHA-256").block(TIMEOUT);
        assertThat(failed.state()).isEqualTo(UploadState.FAILED);
        assertThat(failed.error()).contains("CHECKSUM_MISMATCH").contains("The received bytes have another SHA-256");
        assertThat(uploads().find(upload.id()).block(TIMEOUT).error()).isEqualTo(failed.error());
    }

    @Test
    default void limitsAreCheckedWhenAnUploadIsCreated() {
        String owner = newOwner();
        UploadLimits limits = new UploadLimits(100, 2);
        create(owner, 60, limits);
        assertThatThrownBy(() -> create(owner, 41, limits)).isInstanceOfSatisfying(TransferException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED));
        create(owner, 40, limits);
        assertThatThrownBy(() -> create(owner, 0, limits)).isInstanceOfSatisfying(TransferException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_MANY_UPLOADS));
        assertThat(files().listByOwner(owner).collectList().block(TIMEOUT)).as("refused ones are not stored")
                .hasSize(2);
        create(newOwner(), 100, limits); // limits are per owner
    }

    /** Completed files keep their share of the quota but no longer count as open; ended uploads count for nothing. */
    @Test
    default void onlyOpenUploadsCountAsOpenAndOnlyKeptOnesTakeQuota() {
        String owner = newOwner();
        UploadLimits limits = new UploadLimits(100, 1);
        UploadRecord completed = create(owner, 50, limits);
        long epoch = claim(completed.id());
        assertThat(uploads().complete(completed.id(), epoch, "c".repeat(64)).block(TIMEOUT)).isTrue();

        UploadRecord cancelled = create(owner, 50, limits);
        assertThatThrownBy(() -> create(owner, 1, limits)).isInstanceOfSatisfying(TransferException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_MANY_UPLOADS));
        uploads().transition(cancelled.id(), UploadState.CANCELLED, null, null).block(TIMEOUT);
        assertThatThrownBy(() -> create(owner, 51, limits)).isInstanceOfSatisfying(TransferException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED));
        create(owner, 50, limits);
    }

    @Test
    default void othersUploadsDoNotExistForAnOwner() {
        String owner = newOwner();
        UploadRecord upload = newUpload(owner, 1);
        assertThat(uploads().findOwned(upload.id(), owner).block(TIMEOUT).id()).isEqualTo(upload.id());
        assertThat(uploads().findOwned(upload.id(), newOwner()).blockOptional(TIMEOUT)).isEmpty();
    }

    /** Expiry ends uploads nobody wrote to for a while: any change (a claim too) makes an upload busy again. */
    @Test
    default void idleOpenUploadsAreFoundByTheirLastChange() throws InterruptedException {
        String owner = newOwner();
        UploadRecord older = newUpload(owner, 1);
        UploadRecord newer = newUpload(owner, 2);
        UploadRecord ended = newUpload(owner, 3);
        uploads().transition(ended.id(), UploadState.CANCELLED, null, null).block(TIMEOUT);
        Thread.sleep(5);
        Instant mark = Instant.now();
        Thread.sleep(5);

        assertThat(idleBefore(mark)).containsSubsequence(older.id(), newer.id()).doesNotContain(ended.id());
        assertThat(idleBefore(older.createdAt())).doesNotContain(older.id(), newer.id());
        claim(older.id());
        assertThat(idleBefore(mark)).contains(newer.id()).doesNotContain(older.id());
        assertThat(idleBefore(Instant.now().plusSeconds(60))).containsSubsequence(newer.id(), older.id());
        List<String> all = idleBefore(Instant.now().plusSeconds(60));
        // A page: the oldest first, never more than asked.
        assertThat(uploads().findIdleOpen(Instant.now().plusSeconds(60), 2).map(UploadRecord::id).collectList()
                .block(TIMEOUT)).containsExactlyElementsOf(all.subList(0, Math.min(2, all.size())));
    }

    // ---- FileCatalog ------------------------------------------------------------------------------------------------

    @Test
    default void ownersListAllTheirUploadsNewestFirst() {
        String owner = newOwner();
        UploadRecord older = newUpload(owner, 1);
        UploadRecord newer = newUpload(owner, 2);
        uploads().transition(older.id(), UploadState.CANCELLED, null, null).block(TIMEOUT);
        newUpload(newOwner(), 3);

        assertThat(files().listByOwner(owner).map(UploadRecord::id).collectList().block(TIMEOUT))
                .containsExactly(newer.id(), older.id());
    }

    @Test
    default void anUploadIsVisibleToItsOwnerItsRecipientAndAdministrators() {
        String owner = newOwner();
        String recipient = newOwner();
        String stranger = newOwner();
        String id = UUID.randomUUID().toString();
        uploads().create(new NewUpload(id, owner, "f", 1, "x/y", null, 5 * MIB, "files/" + id, recipient), GENEROUS)
                .block(TIMEOUT);

        assertThat(files().findVisible(id, owner, false).blockOptional(TIMEOUT)).isPresent();
        assertThat(files().findVisible(id, recipient, false).blockOptional(TIMEOUT)).isPresent();
        assertThat(files().findVisible(id, stranger, false).blockOptional(TIMEOUT)).isEmpty();
        assertThat(files().findVisible(id, stranger, true).blockOptional(TIMEOUT)).isPresent();
        assertThat(files().findVisible(UUID.randomUUID().toString(), stranger, true).blockOptional(TIMEOUT))
                .isEmpty();
    }

    @Test
    default void filesAreTheCompletedUploadsSentOrReceivedNewestFirst() {
        String user = newOwner();
        String friend = newOwner();
        UploadRecord sent = completed(user, null);
        UploadRecord received = completed(friend, user);
        newUpload(user, 1); // still open
        completed(friend, null); // not for the user

        assertThat(files().listFiles(user).map(UploadRecord::id).collectList().block(TIMEOUT))
                .containsExactly(received.id(), sent.id());
        assertThat(files().listFiles(friend).map(UploadRecord::id).collectList().block(TIMEOUT))
                .contains(received.id()).doesNotContain(sent.id());
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    default UploadRecord newUpload(String owner, long size) {
        return create(owner, size, GENEROUS);
    }

    default UploadRecord create(String owner, long size, UploadLimits limits) {
        String id = UUID.randomUUID().toString();
        return uploads().create(new NewUpload(id, owner, "f.bin", size, "application/octet-stream", null, 5 * MIB,
                "files/" + id), limits).block(TIMEOUT);
    }

    default UploadRecord completed(String owner, String recipient) {
        String id = UUID.randomUUID().toString();
        uploads().create(new NewUpload(id, owner, "f.bin", 1, "application/octet-stream", null, 5 * MIB,
                "files/" + id, recipient), GENEROUS).block(TIMEOUT);
        long epoch = claim(id);
        assertThat(uploads().complete(id, epoch, "d".repeat(64)).block(TIMEOUT)).isTrue();
        return uploads().find(id).block(TIMEOUT);
    }

    private List<String> idleBefore(Instant before) {
        return uploads().findIdleOpen(before, 100_000).map(UploadRecord::id).collectList().block(TIMEOUT);
    }
}
