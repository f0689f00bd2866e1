package dev.relay.streaming.upload;

import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.DurablePoint;
import dev.relay.streaming.port.PartRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * The way of one writer's parts to S3: a part's request opened with its first bytes, the parts sealed and waiting
 * for their turn, the one part in flight, and each part S3 has stored handed to the {@link PartRecorder}. A part is
 * sent only under a number the writer has reserved, and at most one part waits for its record while another goes to
 * S3 (see {@link PartPipeline}). Owned by its pipeline, on the session's serial executor.
 */
final class PartUploads {

    // Logged under the pipeline's name, as before this was a class of its own.
    private static final Logger log = LoggerFactory.getLogger(PartPipeline.class);

    /** What this needs of its pipeline. */
    interface Pipeline {
        /** The part filling now, or null. */
        PartBuffer filling();

        long durableOffset();

        /** A part could not be stored: nothing more is stored. */
        void fail(TransferException error);
    }

    private enum Mode { STORING, ABORTED, RELEASED }

    private final String id;
    private final Executor serial;
    private final PartRequests requests;
    private final PartMemory memory;
    private final PartRecorder recorder;
    private final Pipeline pipeline;
    private final PartPipeline.Listener listener;

    private Mode mode = Mode.STORING;
    /** The writer may send parts numbered up to this (its reservation). */
    private int partNumbersThrough;
    private final ArrayDeque<PartBuffer> sealed = new ArrayDeque<>();
    private PartBuffer inFlight;

    PartUploads(String id, Executor serial, PartRequests requests, PartMemory memory, PartRecorder recorder,
                int partNumbersThrough, Pipeline pipeline, PartPipeline.Listener listener) {
        this.id = id;
        this.serial = serial;
        this.requests = requests;
        this.memory = memory;
        this.recorder = recorder;
        this.partNumbersThrough = partNumbersThrough;
        this.pipeline = pipeline;
        this.listener = listener;
    }

    boolean hasSealed() {
        return !sealed.isEmpty();
    }

    /** Whether a part is on its way to S3 or to the database. */
    boolean storing() {
        return inFlight != null || recorder.busy();
    }

    /** Parts received in full and not yet recorded: on their way to S3 or waiting for their database record. */
    int unrecordedParts() {
        return recorder.waiting() + (inFlight != null ? 1 : 0) + sealed.size();
    }

    /** Whether the part numbered {@code number} went straight to S3 when it was sealed (nothing queued before it). */
    boolean storingStraightAway(int number) {
        return sealed.isEmpty() && inFlight != null && inFlight.number == number;
    }

    /** The part in flight, then the sealed ones. */
    void forEach(Consumer<PartBuffer> action) {
        if (inFlight != null) {
            action.accept(inFlight);
        }
        sealed.forEach(action);
    }

    /** A part was recorded: the writer's reservation now reaches {@code through}, if that is further. */
    void reservedThrough(int through) {
        partNumbersThrough = Math.max(partNumbersThrough, through);
    }

    /** Bytes landed in the part: its request starts with the first of them (an empty channel costs S3 nothing). */
    void fed(PartBuffer part) {
        if (!part.streamOpened) {
            openStream(part);
        }
        if (part.feed != null) {
            part.feed.advance(part.fill);
        }
    }

    /** The part is complete: store it now, or queue it behind the part being stored. */
    void sealed(PartBuffer part) {
        if (inFlight == null && sealed.isEmpty() && mayStore(part)) {
            startUpload(part);
        } else {
            sealed.add(part);
        }
    }

    /**
     * Starts sending a new part to S3 while it fills (if the store can): its request carries the bytes as they
     * arrive, so S3 has the part moments after its last byte came in, instead of a part's transfer later. If that
     * request fails (S3 unavailable, or no bytes for a while because the client is slow or paused), the part is
     * sent whole once it is complete, from the same buffer.
     */
    private void openStream(PartBuffer part) {
        part.streamOpened = true;
        if (!requests.canStream() || mode != Mode.STORING || part.number > partNumbersThrough) {
            return; // sent whole once complete and its number is reserved
        }
        requests.stream(part, etag -> {
            part.etag = etag;
            part.storedNanos = System.nanoTime();
            if (part == inFlight) {
                onPartUploaded(part, etag);
            }
        }, e -> {
            log.debug("Upload {}: part {} streamed in vain, it will be sent whole: {}", id, part.number, e.toString());
            if (part == inFlight && mode != Mode.RELEASED) {
                storePart(part);
            }
        });
    }

    /** A complete part goes to S3: its request is already under way (or done), or it is sent whole now. */
    private void startUpload(PartBuffer part) {
        inFlight = part;
        if (part.etag != null) {
            String etag = part.etag;
            serial.execute(() -> {
                if (inFlight == part) {
                    onPartUploaded(part, etag);
                }
            });
        } else if (part.feed == null) {
            storePart(part);
        }
    }

    private void storePart(PartBuffer part) {
        requests.sendWhole(part, etag -> onPartUploaded(part, etag), e -> {
            inFlight = null;
            pipeline.fail(SessionErrors.storage(id, "store part " + part.number, e, pipeline.durableOffset()));
        });
    }

    private void onPartUploaded(PartBuffer part, String etag) {
        inFlight = null;
        // A request that was given up may still read an abandoned part's bytes: they are never reused.
        memory.stored(part, !part.abandoned && pipeline.filling() == null && mode != Mode.RELEASED);
        recorder.add(new PartRecorder.Pending(new PartRecord(part.number, etag, part.fill),
                new DurablePoint(part.start + part.fill, 0, part.digestState), part.sealedNanos,
                part.storedNanos != 0 ? part.storedNanos : System.nanoTime()));
        if (mode == Mode.RELEASED) {
            return;
        }
        storeSealed();
        listener.partStored();
    }

    /**
     * At most one part may wait for its database record while another goes to S3 (see {@link PartPipeline}), and a
     * part not already on its way needs a reserved number.
     */
    private boolean mayStore(PartBuffer part) {
        return recorder.waiting() < 2 && (part.feed != null || part.etag != null || part.number <= partNumbersThrough);
    }

    /** Sends the next queued part to S3, if it may go now. */
    void storeSealed() {
        if (!sealed.isEmpty() && inFlight == null && mode == Mode.STORING && mayStore(sealed.peek())) {
            startUpload(sealed.poll());
        }
    }

    /** While closing: sends the next queued part to S3, if there is one and nothing else is on its way. */
    boolean storeQueued() {
        if (sealed.isEmpty() || storing() || mode != Mode.STORING || !mayStore(sealed.peek())) {
            return false;
        }
        startUpload(sealed.poll());
        return true;
    }

    /** Storing failed: nothing more is sent (unless released already, which stays). */
    void failed() {
        mode = mode == Mode.RELEASED ? Mode.RELEASED : Mode.ABORTED;
    }

    /** Stores nothing more (the upload ended, or storage failed); what is under way finishes on its own. */
    void abort() {
        if (mode == Mode.STORING) {
            mode = Mode.ABORTED;
        }
    }

    /** The session closed: requests still reading a buffer fail, and every buffer, {@code filling}'s too, goes. */
    void release(PartBuffer filling) {
        mode = Mode.RELEASED;
        if (filling != null) {
            filling.abandonStream();
            PartMemory.drop(filling);
        }
        for (PartBuffer part : sealed) {
            part.abandonStream();
            PartMemory.drop(part);
        }
        if (inFlight != null) {
            // Its request fails reading released bytes, or has read them all already.
            PartMemory.drop(inFlight);
        }
        sealed.clear();
    }
}
