package dev.relay.streaming.upload;

import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.UploadEvent;
import dev.relay.streaming.TransferSettings;
import dev.relay.streaming.port.NodeBus;
import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.UploadRecord;
import dev.relay.streaming.testing.InMemoryObjectStore;
import dev.relay.streaming.testing.InMemoryUploadRepository;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;
import reactor.test.publisher.TestPublisher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The upload engine on in-memory ports, driven as a client would drive it: a write channel is a
 * {@link TestPublisher} of chunks that sends only what the engine requested (unless told to misbehave), and every
 * session state the engine moves through is recorded.
 */
final class SessionHarness {

    static final int CHUNK = 64 * 1024;
    static final long MIB = 1024 * 1024;
    static final Duration TIMEOUT = Duration.ofSeconds(20);
    static final String OWNER = "owner-1";

    final InMemoryObjectStore store = new InMemoryObjectStore();
    final InMemoryUploadRepository repo = new InMemoryUploadRepository();
    final List<SessionState> states = new CopyOnWriteArrayList<>();
    final List<String> stateChanges = new CopyOnWriteArrayList<>();
    final TransferSettings settings;
    final UploadService service;
    /** Where parts wait, or null: on the heap. */
    private final PartSpool spool;

    /** Parts of 5 MiB (S3's minimum) in a part size of 10 MiB, 64 KiB chunks, a window of one chunk. */
    SessionHarness() {
        this(Duration.ofSeconds(2), false);
    }

    /**
     * @param storageRetry how long storage outages are waited for before the channel fails
     * @param receiveAhead whether the next part is received while the previous one is stored (parts of 5 MiB in
     *                     a part size of 5 MiB then)
     */
    SessionHarness(Duration storageRetry, boolean receiveAhead) {
        this(storageRetry, receiveAhead, 1L << 30);
    }

    /** @param bufferBudget the memory the node's uploads may hold in part buffers together */
    SessionHarness(Duration storageRetry, boolean receiveAhead, long bufferBudget) {
        this(storageRetry, receiveAhead, bufferBudget, null);
    }

    private SessionHarness(Duration storageRetry, boolean receiveAhead, long bufferBudget, PartSpool spool) {
        this.settings = new TransferSettings(CHUNK, CHUNK, MIB, (receiveAhead ? 5 : 10) * MIB, 5 * MIB, 10_000,
                1L << 40, 1L << 42, 100, storageRetry, Duration.ofHours(1), bufferBudget, receiveAhead);
        this.spool = spool;
        this.service = node(store, settings);
    }

    /** As {@link #SessionHarness(Duration, boolean)}, with parts in spool files instead of on the heap. */
    static SessionHarness spooled(Duration storageRetry, boolean receiveAhead) {
        return new SessionHarness(storageRetry, receiveAhead, 1L << 30, Spool.SHARED);
    }

    /** One spool for the test JVM; the next run removes it (its lock is gone with this process). */
    private static final class Spool {
        static final PartSpool SHARED;

        static {
            try {
                SHARED = PartSpool.open(Path.of(System.getProperty("java.io.tmpdir"), "relay-spool-tests"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** A node of its own on the same database and S3 store (as another service process would be). */
    UploadService node(ObjectStore nodeStore, TransferSettings nodeSettings) {
        return new UploadService(repo, repo, nodeStore, nodeSettings, new UploadObserver() {
            @Override
            public void sessionState(String uploadId, SessionState state) {
                states.add(state);
            }

            @Override
            public void stateChanged(String uploadId) {
                stateChanges.add(uploadId);
            }
        }, NodeBus.standalone(), spool);
    }

    /** A new upload of random bytes; {@code sha256} declared as given (null: none). */
    Upload upload(int size, String sha256) {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        UploadRecord record = service.createRecord(OWNER, new CreateUploadRequest("f.bin", size,
                "application/octet-stream", sha256, null), null).block(TIMEOUT);
        return new Upload(record.id(), data);
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    UploadRecord record(String id) {
        return repo.find(id).block(TIMEOUT);
    }

    static void await(String what, BooleanSupplier condition) {
        await(what, condition, () -> "");
    }

    /** Waits until {@code condition} holds; on a timeout, the failure says {@code detail} (a session's state). */
    static void await(String what, BooleanSupplier condition, java.util.function.Supplier<String> detail) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                // What every thread was doing: a stalled session shows where it stopped.
                for (java.lang.management.ThreadInfo t : java.lang.management.ManagementFactory.getThreadMXBean()
                        .dumpAllThreads(true, true)) {
                    System.out.print(t);
                }
                throw new AssertionError("Timed out waiting until " + what + detail.get());
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Asserts that nothing is requested for {@code quiet} (a paused or stalled channel). */
    static void assertNoCreditFor(Channel channel, Duration quiet) throws InterruptedException {
        long before = channel.granted.get();
        Thread.sleep(quiet.toMillis());
        assertThat(channel.granted.get()).as("credit granted during %s", quiet).isEqualTo(before);
    }

    record Upload(String id, byte[] data) {
        int size() {
            return data.length;
        }
    }

    /** Opens a write channel from the upload's durable offset. */
    Channel open(Upload upload) {
        return open(upload, TestPublisher.create());
    }

    Channel open(Upload upload, TestPublisher<Chunk> chunks) {
        return open(service, upload, chunks);
    }

    /** Opens a write channel on {@code node} from the upload's durable offset. */
    Channel open(UploadService node, Upload upload, TestPublisher<Chunk> chunks) {
        long offset = record(upload.id()).durableOffset();
        Channel channel = new Channel(upload, offset, chunks);
        channel.node = node;
        channel.subscription = node.write(OWNER, upload.id(), offset,
                        countRequests(chunks.flux(), channel.granted))
                .subscribe(channel.events::add, channel.error::set, () -> channel.completed = true);
        return channel;
    }

    /**
     * {@code chunks}, counting into {@code granted} what the engine requested once the request has reached the
     * publisher: counted before (as {@code doOnRequest} does), a request made on another thread (a paced grant, a
     * part stored) let the test send into a publisher that did not know of it yet, which then failed the channel
     * with "lack of requests" and the session closed as if the client had gone.
     */
    private static Flux<Chunk> countRequests(Flux<Chunk> chunks, AtomicLong granted) {
        return chunks.transform(Operators.<Chunk, Chunk>lift((scannable, actual) -> new CoreSubscriber<Chunk>() {
            @Override
            public void onSubscribe(Subscription upstream) {
                actual.onSubscribe(new Subscription() {
                    @Override
                    public void request(long n) {
                        upstream.request(n);
                        granted.addAndGet(n);
                    }

                    @Override
                    public void cancel() {
                        upstream.cancel();
                    }
                });
            }

            @Override
            public void onNext(Chunk chunk) {
                actual.onNext(chunk);
            }

            @Override
            public void onError(Throwable t) {
                actual.onError(t);
            }

            @Override
            public void onComplete() {
                actual.onComplete();
            }
        }));
    }

    /** One write channel, as a well-behaved client drives it. */
    static final class Channel {
        final Upload upload;
        final TestPublisher<Chunk> chunks;
        final AtomicLong granted = new AtomicLong();
        final List<UploadEvent> events = new CopyOnWriteArrayList<>();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        volatile boolean completed;
        Disposable subscription;
        UploadService node;
        long sent;
        long chunksSent;

        Channel(Upload upload, long offset, TestPublisher<Chunk> chunks) {
            this.upload = upload;
            this.sent = offset;
            this.chunks = chunks;
        }

        /** Sends chunks up to byte {@code until}, each when credit allows it. */
        Channel sendUntil(long until) {
            while (sent < until) {
                await("credit for chunk " + (chunksSent + 1) + " at byte " + sent,
                        () -> granted.get() > chunksSent || error.get() != null, this::flow);
                if (error.get() != null) {
                    throw new AssertionError("The channel failed at byte " + sent, error.get());
                }
                sendChunk((int) Math.min(CHUNK, until - sent));
            }
            return this;
        }

        /** Sends chunks up to byte {@code until} as credit allows, stopping early if the channel ends. */
        Channel sendWhileOpen(long until) {
            while (sent < until) {
                await("credit or the end", () -> granted.get() > chunksSent || error.get() != null || completed);
                if (error.get() != null || completed) {
                    return this;
                }
                sendChunk((int) Math.min(CHUNK, until - sent));
            }
            return this;
        }

        /** Sends what was granted and not yet used, without waiting for more. */
        Channel sendGranted() {
            while (granted.get() > chunksSent && sent < upload.size()) {
                sendChunk((int) Math.min(CHUNK, upload.size() - sent));
            }
            return this;
        }

        /** Sends a chunk whatever the credit (a misbehaving client; needs a non-compliant publisher). */
        void sendChunk(int length) {
            // A TestPublisher registers its subscriber only after onSubscribe returns, in which the engine already
            // requests (on the thread that opened the channel): sent before that, the chunk would be dropped.
            await("the channel's publisher registered its subscriber", () -> chunks.subscribeCount() > 0);
            ByteBuffer bytes = ByteBuffer.wrap(upload.data(), (int) sent, length).slice();
            sent += length;
            chunksSent++;
            chunks.next(Chunk.of(bytes));
        }

        /** The session's flow control as its executor sees it, or why it cannot say (for a failure message). */
        String flow() {
            try {
                return "; granted " + granted.get() + ", ended " + completed + ", last event "
                        + (events.isEmpty() ? null : last()) + ", session: " + node.telemetry(OWNER, upload.id(),
                        Duration.ofMillis(10), java.time.Clock.systemUTC()).blockFirst(Duration.ofSeconds(2));
            } catch (RuntimeException e) {
                return "; granted " + granted.get() + ", no telemetry: " + e;
            }
        }

        Channel sendAll() {
            return sendUntil(upload.size());
        }

        void awaitEnd() {
            await("the channel ended", () -> completed || error.get() != null);
        }

        UploadEvent last() {
            return events.get(events.size() - 1);
        }
    }
}
