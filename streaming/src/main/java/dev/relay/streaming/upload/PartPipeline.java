package dev.relay.streaming.upload;

import dev.relay.api.ErrorCode;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.digest.ResumableSha256;
import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.UploadRepository;
import dev.relay.streaming.port.UploadRecord;
import dev.relay.streaming.port.WriterClaim;
import reactor.util.retry.Retry;

import java.io.UncheckedIOException;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The parts of one write channel on their way from the socket to a durable record, and the byte counts that follow
 * them: the part <b>filling</b> (S3 receives it as it fills, when the store can stream parts), parts <b>sealed</b>
 * and waiting for their turn, the part <b>in flight</b> to S3, and parts S3 has stored that wait to be
 * <b>recorded</b>, strictly in part order. Recording one part overlaps storing the next, and at most one part waits
 * for its record while another goes to S3, so a slow database stops the flow instead of piling up parts that no
 * durable offset covers.
 *
 * <p>S3 part numbers come from the writer's claim ({@link WriterClaim}): a request is only ever sent for a number
 * in the writer's reserved range, which each record extends by {@link #PART_NUMBERS_AHEAD}. A stale writer (its
 * client resumed on another node) can therefore never replace a part of a later writer, whose range starts past it.
 *
 * <p>Not thread-safe: the session's serial executor owns it, and the outcome of every storage call is posted back
 * there. What the session must act on arrives through {@link Listener}. The sealed parts and the one in flight are
 * kept by {@link PartUploads}.
 */
final class PartPipeline implements PartMemory.Parts, PartUploads.Pipeline {

    interface Listener {
        /** S3 has stored a part: its buffer is free. */
        void partStored();

        /** The database recorded a part whose last byte arrived at {@code sealedNanos}: the durable offset moved. */
        void partRecorded(long sealedNanos);

        /** A part could not be stored or recorded, or the writer lost its claim: nothing more can be stored. */
        void pipelineFailed(TransferException error);
    }

    /** The size of the part starting at {@code start} with number {@code number} (see {@link PartSizer}). */
    interface Sizing {
        long capacity(long start, int number);
    }

    /**
     * How many part numbers past its last recorded part a writer holds: more than its parts on their way to S3 and
     * the database can ever number (two recording, one in flight, one filling), and what an interrupted writer that
     * does not give its numbers back ({@link #highestUsedPartNumber}) costs of S3's 10,000.
     */
    static final int PART_NUMBERS_AHEAD = 8;

    private final String id;
    private final long size;
    private final boolean receiveAhead;
    private final Sizing sizing;
    private final Listener listener;

    private long received;
    private long partsBytes;
    private long tailBytes;
    /** Where the part not yet complete starts (sealing a part moves it on), and that part's number. */
    private long nextPartStart;
    private int nextPartNumber;
    /** No part is numbered past this (S3's limit); the writer's reservation is kept by {@link #uploads}. */
    private final int maxPartNumber;
    private final MultipartUpload multipart;
    /** The requests that store the parts, and the highest number they used (given back when the writer closes). */
    private final PartRequests requests;
    private PartBuffer filling;
    /** The sealed parts and the one in flight, on their way to S3. */
    private final PartUploads uploads;
    private final PartRecorder recorder;
    /** The parts' buffers and what this writer claims of the node's {@link BufferBudget} for them. */
    private final PartMemory memory;

    PartPipeline(UploadRecord upload, WriterClaim claim, int maxPartNumber, boolean receiveAhead, ObjectStore store,
                 UploadRepository repo, Executor serial, Supplier<Retry> retry, Sizing sizing, BufferBudget budget,
                 PartBytes.Allocator allocator, Listener listener) {
        long epoch = claim.epoch();
        this.id = upload.id();
        this.size = upload.size();
        this.receiveAhead = receiveAhead;
        this.sizing = sizing;
        this.memory = new PartMemory(allocator, budget, sizing, upload.size(), this);
        this.listener = listener;
        this.recorder = new PartRecorder(id, epoch, repo, serial, retry, new Recorded());
        this.multipart = new MultipartUpload(id, upload.objectKey(), epoch, upload.s3UploadId(), store, repo, serial,
                retry);
        this.requests = new PartRequests(upload.objectKey(), store, multipart, serial, retry, claim.firstPartNumber());
        this.partsBytes = upload.partsBytes();
        this.tailBytes = upload.tailBytes();
        this.received = upload.durableOffset();
        this.nextPartStart = upload.partsBytes();
        this.nextPartNumber = claim.firstPartNumber();
        this.maxPartNumber = maxPartNumber;
        this.uploads = new PartUploads(id, serial, requests, memory, recorder, claim.partNumbersThrough(), this,
                listener);
    }

    @Override
    public long received() {
        return received;
    }

    long partsBytes() {
        return partsBytes;
    }

    long tailBytes() {
        return tailBytes;
    }

    @Override
    public long durableOffset() {
        return partsBytes + tailBytes;
    }

    @Override
    public long nextPartStart() {
        return nextPartStart;
    }

    String s3UploadId() {
        return multipart.id();
    }

    /** The highest part number this writer sent a request with (below its first if none). */
    int highestUsedPartNumber() {
        return requests.highestUsedPartNumber();
    }

    @Override
    public PartBuffer filling() {
        return filling;
    }

    boolean hasSealed() {
        return uploads.hasSealed();
    }

    /** Whether a part is on its way to S3 or to the database; staging and closing wait for this. */
    boolean storing() {
        return uploads.storing();
    }

    /** Parts received in full and not yet recorded: on their way to S3 or waiting for their database record. */
    int unrecordedParts() {
        return uploads.unrecordedParts();
    }

    /** Whether the part sealed last went straight to S3 (nothing queued before it). */
    boolean lastSealedIsStoring() {
        return uploads.storingStraightAway(nextPartNumber - 1);
    }

    // ---- receiving -----------------------------------------------------------------------------------------------

    /**
     * Copies the chunk into part buffers, updating {@code digest}, sealing each part that becomes full and opening
     * the next one for bytes that run past it. Returns false if a byte found no room (credit was wrong); a spool
     * that cannot be written fails the pipeline with STORAGE_UNAVAILABLE (what it took is kept).
     */
    boolean write(Chunk chunk, ResumableSha256 digest) {
        while (chunk.remaining() > 0) {
            if (filling == null && !openNext()) {
                return false;
            }
            int take = (int) Math.min(chunk.remaining(), filling.room());
            UncheckedIOException spoolFailed = null;
            try {
                memory.allocate(filling);
                filling.bytes.fill(chunk, filling.fill, take, digest);
            } catch (UncheckedIOException e) {
                // The spool is full or broken: keep what made it, and let the client resume from the durable offset.
                spoolFailed = e;
                take = e instanceof PartBytes.WriteFailed failed ? failed.written : 0;
            }
            filling.fill += take;
            received += take;
            if (take > 0) {
                uploads.fed(filling);
            }
            if (spoolFailed != null) {
                fail(SessionErrors.spool(id, spoolFailed, durableOffset()));
                return true;
            }
            if (filling.room() == 0) {
                seal(digest);
            }
        }
        return true;
    }

    /** Opens the buffer of the next part for bytes from {@link #received} on; false if none may be opened now. */
    boolean openNext() {
        if (received >= size || (receiveAhead && unrecordedParts() >= 2)) {
            return false;
        }
        if (nextPartNumber > maxPartNumber) {
            fail(new TransferException(ErrorCode.INTERNAL, "Upload " + id + " has used up S3's " + maxPartNumber
                    + " part numbers (each interrupted channel costs a few); cancel it and send the file again."));
            return false;
        }
        filling = newBuffer(received);
        return true;
    }

    /** Opens the part that starts at {@code start} with its first bytes, loaded back from the staged tail. */
    void resumePart(long start, byte[] bytes, int length, ResumableSha256 digest) {
        filling = newBuffer(start);
        memory.allocate(filling);
        filling.bytes.load(bytes, length);
        filling.fill = length;
        uploads.fed(filling);
        if (filling.room() == 0) {
            seal(digest);
        }
    }

    /** Drops the buffer of the partial part (its bytes are staged, or they were never durable). */
    void dropFilling() {
        if (filling != null) {
            PartMemory.drop(filling);
        }
        filling = null;
        memory.settle(received);
    }

    /** A paused session keeps no buffer for later. */
    void dropSpare() {
        memory.dropSpare();
        memory.settle(received);
    }

    // ---- memory ----------------------------------------------------------------------------------------------------

    /** The part buffers and what this writer claims of the node's budget for them (the credit planner asks it). */
    PartMemory memory() {
        return memory;
    }

    @Override
    public void forEach(Consumer<PartBuffer> action) {
        if (filling != null) {
            action.accept(filling);
        }
        uploads.forEach(action);
    }

    @Override
    public int nextPartNumber() {
        return nextPartNumber;
    }

    /** The bytes of the part filling now are staged as the tail: durable up to there. */
    void tailStaged(long bytes) {
        tailBytes = bytes;
    }

    private PartBuffer newBuffer(long start) {
        int capacity = (int) sizing.capacity(start, nextPartNumber);
        if (received > start) {
            // The part resumes from its staged tail, which it must hold whatever the link is like now.
            capacity = (int) Math.max(capacity, received - start);
        }
        return new PartBuffer(nextPartNumber, start, capacity);
    }

    /** The filling buffer is complete: it goes to S3 now, or waits behind the part being stored. */
    private void seal(ResumableSha256 digest) {
        PartBuffer part = filling;
        part.sealedNanos = System.nanoTime();
        part.digestState = digest.state();
        filling = null;
        nextPartStart = part.end();
        nextPartNumber = part.number + 1;
        uploads.sealed(part);
    }

    // ---- storing -------------------------------------------------------------------------------------------------

    /** While closing: sends the next queued part to S3, if there is one and nothing else is on its way. */
    boolean storeQueued() {
        return uploads.storeQueued();
    }

    // ---- recording (PartRecorder's outcomes) ---------------------------------------------------------------

    private final class Recorded implements PartRecorder.Outcome {
        @Override
        public void recorded(PartRecorder.Pending part) {
            partsBytes = part.point().partsBytes();
            tailBytes = 0;
            uploads.reservedThrough(part.part().number() + PART_NUMBERS_AHEAD);
            if (partsBytes < size) {
                recorder.recordNext();
                uploads.storeSealed();
            }
            listener.partRecorded(part.sealedNanos());
        }

        @Override
        public void refused() {
            fail(SessionErrors.lostWriter(id));
        }

        @Override
        public void failed(int partNumber, Throwable error) {
            fail(SessionErrors.storage(id, "record part " + partNumber, error, durableOffset()));
        }
    }

    @Override
    public void fail(TransferException error) {
        uploads.failed();
        listener.pipelineFailed(error);
    }

    // ---- ending --------------------------------------------------------------------------------------------------

    /** Stores nothing more (the upload ended, or storage failed); what is under way finishes on its own. */
    void abort() {
        uploads.abort();
    }

    /** The session closed: requests still reading a buffer fail, and every buffer is let go. */
    void release() {
        uploads.release(filling);
        filling = null;
        memory.release();
    }

}
