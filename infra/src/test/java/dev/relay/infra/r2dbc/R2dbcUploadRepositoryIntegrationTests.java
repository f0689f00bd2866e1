package dev.relay.infra.r2dbc;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.infra.testing.TestServices;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.DurablePoint;
import dev.relay.streaming.port.NewUpload;
import dev.relay.streaming.port.PartRecord;
import dev.relay.streaming.port.UploadLimits;
import dev.relay.streaming.port.UploadRecord;
import io.r2dbc.spi.ConnectionFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The repository's conditional updates against a real MariaDB, with the schema from the real migrations. */
class R2dbcUploadRepositoryIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static R2dbcUploadRepository uploads;
    private static R2dbcAccountRepository accounts;
    private static R2dbcFileCatalog files;

    @BeforeAll
    static void schema() {
        ConnectionFactory connections = TestServices.get().migratedConnectionFactory();
        DatabaseClient db = DatabaseClient.create(connections);
        uploads = new R2dbcUploadRepository(db,
                TransactionalOperator.create(new R2dbcTransactionManager(connections)), Clock.systemUTC());
        accounts = new R2dbcAccountRepository(db, Clock.systemUTC());
        files = new R2dbcFileCatalog(db);
    }

    private static String newAccount() {
        String id = UUID.randomUUID().toString();
        accounts.create(id, "user-" + id.substring(0, 8), "{noop}x", false).block(TIMEOUT);
        return id;
    }

    private static UploadRecord newUpload(String owner, long size) {
        String id = UUID.randomUUID().toString();
        return uploads.create(new NewUpload(id, owner, "f.bin", size, "application/octet-stream", null,
                5L << 20, "files/" + id), new UploadLimits(1L << 40, 100)).block(TIMEOUT);
    }

    @Test
    void onlyTheCurrentWriterEpochCanRecord() {
        UploadRecord upload = newUpload(newAccount(), 20L << 20);
        long first = uploads.claimWriter(upload.id()).block(TIMEOUT);
        long second = uploads.claimWriter(upload.id()).block(TIMEOUT);
        assertThat(second).isEqualTo(first + 1);

        assertThat(uploads.lastPartNumber(upload.id()).block(TIMEOUT)).isZero();
        DurablePoint point = new DurablePoint(5L << 20, 0, new byte[]{1});
        assertThat(uploads.recordPart(upload.id(), first, new PartRecord(1, "e1", 5L << 20), point).block(TIMEOUT))
                .as("stale writer").isFalse();
        assertThat(uploads.lastPartNumber(upload.id()).block(TIMEOUT)).as("nothing recorded").isZero();
        assertThat(uploads.recordPart(upload.id(), second, new PartRecord(1, "e1", 5L << 20), point).block(TIMEOUT))
                .isTrue();
        assertThat(uploads.recordTail(upload.id(), second, new DurablePoint(5L << 20, 100, new byte[]{2}))
                .block(TIMEOUT)).isTrue();
        assertThat(uploads.recordTail(upload.id(), second, new DurablePoint(0, 100, new byte[]{2})).block(TIMEOUT))
                .as("a tail must start where the parts end").isFalse();

        UploadRecord stored = uploads.find(upload.id()).block(TIMEOUT);
        assertThat(stored.durableOffset()).isEqualTo((5L << 20) + 100);
        assertThat(stored.digestState()).containsExactly(2);
        assertThat(uploads.parts(upload.id()).collectList().block(TIMEOUT)).containsExactly(
                new PartRecord(1, "e1", 5L << 20));
        assertThat(uploads.lastPartNumber(upload.id()).block(TIMEOUT)).isEqualTo(1);
    }

    @Test
    void transitionsFollowTheStateMachineAndFinalStatesStayFinal() {
        UploadRecord upload = newUpload(newAccount(), 10);
        assertThat(uploads.transition(upload.id(), UploadState.PAUSED, null, null).block(TIMEOUT).state())
                .isEqualTo(UploadState.PAUSED);
        assertThat(uploads.transition(upload.id(), UploadState.CANCELLED, null, null).block(TIMEOUT).state())
                .isEqualTo(UploadState.CANCELLED);
        assertThat(uploads.transition(upload.id(), UploadState.ACTIVE, null, null).blockOptional(TIMEOUT)).isEmpty();
        assertThat(uploads.claimWriter(upload.id()).blockOptional(TIMEOUT)).as("no writer for a final upload")
                .isEmpty();
        assertThat(uploads.complete(upload.id(), 0, "x".repeat(64)).block(TIMEOUT)).isFalse();
    }

    @Test
    void limitsAreCheckedWhenAnUploadIsCreated() {
        String owner = newAccount();
        UploadLimits limits = new UploadLimits(100, 2);
        uploads.create(new NewUpload(UUID.randomUUID().toString(), owner, "a", 60, "x/y", null, 5L << 20, "k1"),
                limits).block(TIMEOUT);
        assertThatThrownBy(() -> uploads.create(new NewUpload(UUID.randomUUID().toString(), owner, "b", 41, "x/y",
                null, 5L << 20, "k2"), limits).block(TIMEOUT))
                .isInstanceOfSatisfying(TransferException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED));
        uploads.create(new NewUpload(UUID.randomUUID().toString(), owner, "c", 40, "x/y", null, 5L << 20, "k3"),
                limits).block(TIMEOUT);
        assertThatThrownBy(() -> uploads.create(new NewUpload(UUID.randomUUID().toString(), owner, "d", 0, "x/y",
                null, 5L << 20, "k4"), limits).block(TIMEOUT))
                .isInstanceOfSatisfying(TransferException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_MANY_UPLOADS));
    }

    @Test
    void ownersSeeOnlyTheirUploadsNewestFirstAndIdleOnesAreFound() {
        String owner = newAccount();
        UploadRecord older = newUpload(owner, 1);
        UploadRecord newer = newUpload(owner, 2);
        assertThat(uploads.findOwned(older.id(), newAccount()).blockOptional(TIMEOUT)).isEmpty();
        assertThat(files.listByOwner(owner).map(UploadRecord::id).collectList().block(TIMEOUT))
                .containsExactly(newer.id(), older.id());
        assertThat(uploads.findIdleOpen(Instant.now().plusSeconds(60)).map(UploadRecord::id).collectList()
                .block(TIMEOUT)).contains(older.id(), newer.id());
        assertThat(uploads.findIdleOpen(Instant.now().minusSeconds(60)).map(UploadRecord::id).collectList()
                .block(TIMEOUT)).doesNotContain(older.id(), newer.id());
    }

    @Test
    void aTakenUsernameIsAConflictWhateverItsCase() {
        String id = newAccount();
        String name = accounts.findById(id).block(TIMEOUT).username();
        assertThatThrownBy(() -> accounts.create(UUID.randomUUID().toString(), name.toUpperCase(), "{noop}y", false)
                .block(TIMEOUT))
                .isInstanceOfSatisfying(TransferException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
        assertThat(accounts.findByUsername(name.toUpperCase()).block(TIMEOUT).id()).isEqualTo(id);
    }
}
