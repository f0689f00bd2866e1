package dev.relay.streaming.upload;

import dev.relay.api.ErrorCode;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.TransferSettings;
import dev.relay.streaming.digest.ResumableSha256;
import dev.relay.streaming.port.NewUpload;
import dev.relay.streaming.port.PartFeed;
import dev.relay.streaming.port.StorageUnavailableException;
import dev.relay.streaming.port.UploadLimits;
import dev.relay.streaming.port.WriterClaim;
import dev.relay.streaming.port.UploadRecord;
import dev.relay.streaming.support.SerialExecutor;
import dev.relay.streaming.support.StorageRetry;
import dev.relay.streaming.testing.InMemoryObjectStore;
import dev.relay.streaming.testing.InMemoryUploadRepository;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static dev.relay.streaming.upload.SessionHarness.CHUNK;
import static dev.relay.streaming.upload.SessionHarness.MIB;
import static dev.relay.streaming.upload.SessionHarness.TIMEOUT;
import static dev.relay.streaming.upload.SessionHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The part pipeline on in-memory ports, without a session: parts of a fixed size are sealed as they fill, stored in
 * S3 and recorded strictly in order, and the durable offset moves only with a record. Its credit planner, on the
 * same pipeline, keeps what is received and not durable within the part size.
 */
class PartPipelineUnitTests {

    private static final long PART = 5 * MIB;

    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private final InMemoryUploadRepository repo = new InMemoryUploadRepository();
    private final SerialExecutor serial = new SerialExecutor();
    private final List<String> heard = new CopyOnWriteArrayList<>();
    private final TransferSettings settings = new TransferSettings(CHUNK, CHUNK, MIB, 2 * PART, PART, 10_000,
            1L << 40, 1L << 42, 100, Duration.ofSeconds(2), Duration.ofHours(1), 1L << 30, false);
    private final byte[] data = new byte[(int) (3 * PART + 77)];
    private final ResumableSha256 digest = ResumableSha256.create();
    private UploadRecord upload;
    private CreditPlanner planner;
    private PartPipeline parts;
    private final PartSpool spool;
    /** Bytes the spool takes before its disk is full. */
    private final AtomicLong spoolRoom = new AtomicLong(Long.MAX_VALUE);

    PartPipelineUnitTests() throws IOException {
        // Parts in spool files here (SessionHarness's sessions keep them on the heap): both kinds are covered.
        spool = PartSpool.open(Files.createTempDirectory("relay-spool-test"));
        new Random(3).nextBytes(data);
        upload = repo.create(new NewUpload("u-1", "owner", "f.bin", data.length, "application/octet-stream", null,
                settings.partSizeFor(data.length), ObjectKeys.file("u-1"), null), new UploadLimits(1L << 40, 10))
                .block(TIMEOUT);
        WriterClaim claim = repo.claimWriter("u-1", PartPipeline.PART_NUMBERS_AHEAD, "node-1").block(TIMEOUT);
        planner = new CreditPlanner("u-1", data.length, upload.partSize(), settings, serial);
        parts = new PartPipeline(upload, claim, settings.maxParts(), false, store, repo, serial,
                () -> StorageRetry.until(settings.storageRetryTimeout()),
                (start, number) -> Math.min(PART, data.length - start), BufferBudget.unlimited(),
                capacity -> new FillingUp(spool.allocate(capacity)),
                new PartPipeline.Listener() {
                    @Override
                    public void partStored() {
                        heard.add("stored");
                    }

                    @Override
                    public void partRecorded(long sealedNanos) {
                        heard.add("recorded " + parts.partsBytes());
                    }

                    @Override
                    public void pipelineFailed(TransferException error) {
                        heard.add("failed " + error.code());
                    }
                });
        planner.plan(parts);
    }

    /** Writes {@code [from, to)} of the file in chunks, on the serial executor as the session does. */
    private void write(long from, long to) {
        serial.execute(() -> {
            for (long at = from; at < to; at += CHUNK) {
                int length = (int) Math.min(CHUNK, to - at);
                assertThat(parts.write(Chunk.of(ByteBuffer.wrap(data, (int) at, length)), digest)).isTrue();
            }
        });
    }

    /** Reads on the serial executor, after every task submitted before (another thread may be running them). */
    /** A spool whose disk fills up after {@link #spoolRoom} bytes in all, as a real one would fail a write. */
    private final class FillingUp implements PartBytes {
        private final PartBytes spooled;

        FillingUp(PartBytes spooled) {
            this.spooled = spooled;
        }

        @Override
        public int capacity() {
            return spooled.capacity();
        }

        @Override
        public void fill(Chunk chunk, int at, int length, ResumableSha256 digest) {
            int fits = (int) Math.min(length, spoolRoom.getAndAccumulate(length, (left, n) -> Math.max(0, left - n)));
            spooled.fill(chunk, at, fits, digest);
            if (fits < length) {
                throw new WriteFailed(fits, new IOException("No space left on device"));
            }
        }

        @Override
        public void load(byte[] src, int length) {
            spooled.load(src, length);
        }

        @Override
        public PartFeed.Source source() {
            return spooled.source();
        }

        @Override
        public void retain() {
            spooled.retain();
        }

        @Override
        public void release() {
            spooled.release();
        }
    }

    /** SHA-256 of a prefix, as the engine's digest writes it. */
    private static final class ResumableSha256Check {
        static String of(byte[] data, int length) {
            ResumableSha256 sha = ResumableSha256.create();
            sha.update(data, 0, length);
            return sha.hex();
        }
    }

    @AfterEach
    void closeSpool() {
        spool.close();
    }

    /**
     * The spool files this process has open (they are unlinked as they open, so only the process's descriptors show
     * them: Linux's /proc).
     */
    private long spoolFiles() {
        String prefix = spool.directory().resolve("part-").toString();
        try (var descriptors = Files.list(Path.of("/proc/self/fd"))) {
            return descriptors.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith(prefix);
                } catch (IOException e) {
                    return false; // closed meanwhile (the listing's own descriptor, say)
                }
            }).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private <T> T onSerial(Supplier<T> read) {
        CompletableFuture<T> out = new CompletableFuture<>();
        serial.execute(() -> out.complete(read.get()));
        try {
            return out.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void partsAreStoredAndRecordedInOrderAndTheDurableOffsetMovesOnlyWithARecord() throws Exception {
        repo.controls().hold(InMemoryUploadRepository.Op.RECORD_PART);
        write(0, PART + CHUNK);
        repo.controls().awaitHeld(InMemoryUploadRepository.Op.RECORD_PART, 1, TIMEOUT);

        assertThat(onSerial(() -> parts.durableOffset())).isZero();
        assertThat(store.parts(onSerial(() -> parts.s3UploadId()))).containsOnlyKeys(1);
        assertThat(onSerial(() -> parts.unrecordedParts())).isEqualTo(1);

        repo.controls().release(InMemoryUploadRepository.Op.RECORD_PART);
        await("part 1 recorded", () -> heard.contains("recorded " + PART));
        write(PART + CHUNK, data.length);
        await("every part recorded", () -> heard.contains("recorded " + data.length));

        assertThat(heard).containsSubsequence("stored", "recorded " + PART, "recorded " + 2 * PART,
                "recorded " + 3 * PART, "recorded " + data.length);
        assertThat(repo.parts("u-1").map(p -> p.number() + ":" + p.size()).collectList().block(TIMEOUT))
                .containsExactly("1:" + PART, "2:" + PART, "3:" + PART, "4:77");
        byte[] second = store.parts(onSerial(() -> parts.s3UploadId())).get(2);
        assertThat(second).isEqualTo(Arrays.copyOfRange(data, (int) PART, (int) (2 * PART)));
    }

    @Test
    void aFullSpoolFailsThePipelineWithStorageUnavailableAndKeepsExactlyWhatItTook() {
        long room = PART + 1000;
        spoolRoom.set(room);
        serial.execute(() -> {
            for (long at = 0; at < 2 * PART && heard.stream().noneMatch(h -> h.startsWith("failed")); at += CHUNK) {
                assertThat(parts.write(Chunk.of(ByteBuffer.wrap(data, (int) at, CHUNK)), digest)).isTrue();
            }
        });
        await("the pipeline fails", () -> heard.contains("failed STORAGE_UNAVAILABLE"), heard::toString);
        assertThat(onSerial(() -> parts.received())).as("what the spool took, to the byte").isEqualTo(room);
        // The file's digest covers exactly the bytes taken: a resumed upload's checksum stays right.
        assertThat(digest.hex()).isEqualTo(ResumableSha256Check.of(data, (int) room));
    }

    @Test
    void anOpenedPartHoldsNoMemoryUntilItsFirstByte() {
        // A write channel opens its first part before any byte comes: thousands of idle channels must cost no heap.
        assertThat(onSerial(() -> parts.openNext())).isTrue();
        assertThat(onSerial(() -> parts.filling().bytes)).isNull();
        assertThat(spoolFiles()).as("spool files before the first byte").isZero();
        write(0, CHUNK);
        assertThat(onSerial(() -> parts.filling().bytes.capacity())).isEqualTo((int) PART);
        assertThat(spoolFiles()).as("spool files with the first byte").isOne();
        byte[] first = new byte[CHUNK];
        onSerial(() -> {
            try {
                parts.filling().bytes.source().read(0, first, 0, CHUNK);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return null;
        });
        assertThat(first).isEqualTo(Arrays.copyOf(data, CHUNK));
        onSerial(() -> {
            parts.release();
            return null;
        });
        assertThat(spoolFiles()).as("spool files once the pipeline let its parts go").isZero();
    }

    /**
     * While the database holds a record, the next part S3 stores waits for its record, and the one after waits
     * sealed: nothing more joins the queue of records (credit then stops, see the test below).
     */
    @Test
    void atMostTwoPartsWaitForTheirRecordsAndTheNextStaysSealed() throws Exception {
        repo.controls().hold(InMemoryUploadRepository.Op.RECORD_PART);
        write(0, 3 * PART);
        repo.controls().awaitHeld(InMemoryUploadRepository.Op.RECORD_PART, 1, TIMEOUT);
        await("part 2 stored", () -> heard.stream().filter("stored"::equals).count() == 2);
        Thread.sleep(100);

        assertThat(heard).as("part 3 is not taken for a record").containsExactly("stored", "stored");
        assertThat(onSerial(() -> parts.unrecordedParts())).isEqualTo(3);
        assertThat(onSerial(() -> parts.hasSealed())).isTrue();
        assertThat(repo.controls().calls(InMemoryUploadRepository.Op.RECORD_PART)).isEqualTo(1);

        repo.controls().release(InMemoryUploadRepository.Op.RECORD_PART);
        await("part 3 recorded", () -> heard.contains("recorded " + 3 * PART));
        assertThat(heard).containsSubsequence("recorded " + PART, "recorded " + 2 * PART, "recorded " + 3 * PART);
        assertThat(heard).filteredOn("stored"::equals).hasSize(3);
        assertThat(onSerial(() -> parts.storing())).isFalse();
    }

    @Test
    void aStreamedPartThatFailedIsSentWholeFromItsBuffer() {
        store.controls().failNext(InMemoryObjectStore.Op.UPLOAD_PART_STREAMED, new StorageUnavailableException("cut", null));
        write(0, PART);
        await("part 1 recorded", () -> heard.contains("recorded " + PART));

        assertThat(store.controls().calls(InMemoryObjectStore.Op.UPLOAD_PART)).isEqualTo(1);
        assertThat(store.parts(onSerial(() -> parts.s3UploadId())).get(1))
                .isEqualTo(Arrays.copyOf(data, (int) PART));
    }

    @Test
    void aRefusedRecordFailsThePipelineWithTakenOver() {
        repo.claimWriter("u-1", PartPipeline.PART_NUMBERS_AHEAD, "node-1").block(TIMEOUT);
        write(0, PART);
        await("the pipeline failed", () -> heard.stream().anyMatch(h -> h.startsWith("failed")));

        assertThat(heard).contains("failed " + ErrorCode.TAKEN_OVER);
        assertThat(onSerial(() -> parts.durableOffset())).isZero();
    }

    @Test
    void creditKeepsWhatIsReceivedAndNotDurableWithinThePartSize() {
        repo.controls().hold(InMemoryUploadRepository.Op.RECORD_PART);
        // Grant and use credit until none comes: nothing is recorded meanwhile.
        long granted = 0;
        for (int round = 0; round < 10_000; round++) {
            long more = onSerial(() -> {
                if (parts.filling() == null && planner.roomForNextPart()) {
                    parts.openNext();
                }
                long[] n = {0};
                if (parts.filling() != null) {
                    planner.grant(false, c -> n[0] += c, () -> { });
                }
                return n[0];
            });
            if (more == 0) {
                break;
            }
            for (long c = granted; c < granted + more; c++) {
                long at = c * CHUNK;
                assertThat(onSerial(() -> planner.received(CHUNK))).isTrue();
                write(at, Math.min(at + CHUNK, data.length));
            }
            granted += more;
        }
        long received = onSerial(() -> parts.received());
        assertThat(received).as("past the part's end, within the part size").isGreaterThan(PART)
                .isLessThanOrEqualTo(upload.partSize());
        assertThat(onSerial(() -> parts.durableOffset())).isZero();
        assertThat(onSerial(() -> planner.received(CHUNK))).as("no credit left").isFalse();

        repo.controls().release(InMemoryUploadRepository.Op.RECORD_PART);
        await("part 1 recorded", () -> heard.contains("recorded " + PART));
        long whenPaused = onSerial(() -> {
            long[] n = {0};
            planner.grant(true, c -> n[0] += c, () -> { });
            return n[0];
        });
        assertThat(whenPaused).as("paused: no credit").isZero();
        long again = onSerial(() -> {
            long[] n = {0};
            planner.grant(false, c -> n[0] += c, () -> { });
            return n[0];
        });
        assertThat(again).as("credit again once a part is durable").isPositive();
    }
}
