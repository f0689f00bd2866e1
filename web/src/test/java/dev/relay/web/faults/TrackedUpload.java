package dev.relay.web.faults;

import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadInfo;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * An upload sent the way a resuming client sends it (ask for the durable offset, write from there), keeping count
 * of every byte the client sends: bytes sent again after an interruption are those of a later attempt that lie
 * below the furthest byte an earlier attempt had sent. They are charged to the latest interruption.
 */
final class TrackedUpload {

    private static final int CHUNK = 256 * 1024;

    final String id;
    final Path file;
    private long furthest;
    private long totalSent;
    private final List<Long> resent = new ArrayList<>();
    private final List<Long> recoveryNanos = new ArrayList<>();
    private long unattributedResent;
    private volatile long interruptedAt = -1;

    TrackedUpload(String id, Path file) {
        this.id = id;
        this.file = file;
    }

    /** Marks an interruption (a kill, a cut, an outage) at {@code nanoTime}. */
    synchronized void interrupted(long nanoTime) {
        resent.add(0L);
        interruptedAt = nanoTime;
    }

    /**
     * One write channel from the server's durable offset; returns the completed upload, or null if the channel
     * ended without completing; errors propagate. {@code position} sees the file position of every chunk sent.
     */
    UploadInfo attempt(RelayClient client, LongConsumer position, Duration timeout) {
        UploadInfo info = client.upload(id).block(timeout);
        if (info.state() == dev.relay.api.UploadState.COMPLETED) {
            return info;
        }
        return attemptFrom(client, info.offset(), position, timeout);
    }

    UploadInfo attemptFrom(RelayClient client, long start, LongConsumer position, Duration timeout) {
        AtomicLong sent = new AtomicLong();
        AtomicBoolean first = new AtomicBoolean(true);
        try {
            UploadEvent done = client.write(id, start, FileTransfers.read(file, start, CHUNK)
                            .doOnNext(b -> {
                                long at = interruptedAt;
                                if (first.compareAndSet(true, false) && at >= 0) {
                                    synchronized (this) {
                                        recoveryNanos.add(System.nanoTime() - at);
                                        interruptedAt = -1;
                                    }
                                }
                                long now = sent.addAndGet(b.remaining());
                                position.accept(start + now);
                            }))
                    .filter(e -> e.type() == UploadEvent.Type.COMPLETED)
                    .next()
                    .block(timeout);
            return done == null ? null : client.upload(id).block(timeout);
        } finally {
            account(start, sent.get());
        }
    }

    private synchronized void account(long start, long sent) {
        long overlap = Math.max(0, Math.min(start + sent, furthest) - start);
        if (overlap > 0) {
            if (resent.isEmpty()) {
                unattributedResent += overlap;
            } else {
                resent.set(resent.size() - 1, resent.get(resent.size() - 1) + overlap);
            }
        }
        furthest = Math.max(furthest, start + sent);
        totalSent += sent;
    }

    /** Bytes sent again, per interruption, in order. */
    synchronized List<Long> resent() {
        return List.copyOf(resent);
    }

    /** From each interruption to the first byte sent after it. */
    synchronized List<Long> recoveryNanos() {
        return List.copyOf(recoveryNanos);
    }

    synchronized long totalSent() {
        return totalSent;
    }

    synchronized long resentTotal() {
        return resent.stream().mapToLong(Long::longValue).sum() + unattributedResent;
    }

    synchronized long unattributedResent() {
        return unattributedResent;
    }
}
