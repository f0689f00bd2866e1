import dev.relay.client.RelayClient;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Downloads of one stored file: through Relay, straight from S3 (one GET, and four ranged GETs at once), and paused by
 * withholding demand.
 */
final class Downloads {

    private static final Duration TIMEOUT = Duration.ofMinutes(10);
    /** Demand is requested this many chunks at a time, as a client reading at its own pace would. */
    private static final int BATCH = 16;
    /** Ranged GETs of the parallel baseline at once. */
    static final int RANGED_GETS = 4;
    private static final ExecutorService RANGED_READERS = Executors.newFixedThreadPool(RANGED_GETS, r -> {
        Thread thread = new Thread(r, "bench-ranged-get");
        thread.setDaemon(true);
        return thread;
    });

    private Downloads() {
    }

    /** Reads the whole file through Relay ({@code files.{id}.read}); returns the seconds it took. */
    static double relay(RelayClient client, String id, long size) {
        AtomicLong bytes = new AtomicLong();
        long started = System.nanoTime();
        client.read(id, 0).doOnNext(b -> bytes.addAndGet(b.remaining())).blockLast(TIMEOUT);
        double seconds = (System.nanoTime() - started) / 1e9;
        check(bytes.get(), size);
        return seconds;
    }

    /** The storage limit: one GET of the object with the MinIO SDK, read to the end. */
    static double direct(MinioClient minio, String bucket, String key, long size) throws Exception {
        long started = System.nanoTime();
        long bytes = 0;
        byte[] buffer = new byte[256 * 1024];
        try (InputStream in = minio.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                bytes += n;
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        check(bytes, size);
        return seconds;
    }

    /**
     * What S3 gives a client that reads ahead: {@code parts} ranged GETs of consecutive quarters (for 4) of the object
     * at once with the MinIO SDK, each read to its end; returns the seconds until the last one ended.
     */
    static double parallelRanged(MinioClient minio, String bucket, String key, long size, int parts)
            throws Exception {
        long each = (size + parts - 1) / parts;
        List<CompletableFuture<Long>> reads = new ArrayList<>();
        long started = System.nanoTime();
        for (long offset = 0; offset < size; offset += each) {
            long start = offset;
            long length = Math.min(each, size - offset);
            reads.add(CompletableFuture.supplyAsync(() -> {
                long bytes = 0;
                byte[] buffer = new byte[256 * 1024];
                try (InputStream in = minio.getObject(GetObjectArgs.builder().bucket(bucket).object(key)
                        .offset(start).length(length).build())) {
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        bytes += n;
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return bytes;
            }, RANGED_READERS));
        }
        long bytes = 0;
        for (CompletableFuture<Long> read : reads) {
            bytes += read.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        check(bytes, size);
        return seconds;
    }

    record PauseOutcome(long bytesAfterStop, double lastByteAfterStopMillis, double resumeToNextByteMillis) {
    }

    /**
     * Reads in batches of demand; at 20 % stops requesting, waits for silence, then requests again. Reports what
     * still arrived after demand stopped (what was already requested) and how soon bytes flow again.
     */
    static PauseOutcome pause(RelayClient client, String id, long size) throws Exception {
        AtomicLong received = new AtomicLong();
        AtomicLong lastByte = new AtomicLong();
        AtomicLong firstAfterResume = new AtomicLong();
        CompletableFuture<Void> reachedPausePoint = new CompletableFuture<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        long[] stopAt = {0};
        var subscriber = new BaseSubscriber<ByteBuffer>() {
            volatile boolean paused;
            volatile boolean resumed;
            long outstanding;

            @Override
            protected void hookOnSubscribe(Subscription s) {
                outstanding = BATCH;
                s.request(BATCH);
            }

            @Override
            protected void hookOnNext(ByteBuffer b) {
                lastByte.set(System.nanoTime());
                if (resumed) {
                    firstAfterResume.compareAndSet(0, System.nanoTime());
                }
                if (received.addAndGet(b.remaining()) >= size / 5 && !resumed) {
                    paused = true;
                    reachedPausePoint.complete(null);
                }
                if (--outstanding == 0 && !paused) {
                    outstanding = BATCH;
                    request(BATCH);
                }
            }

            void resumeReading() {
                resumed = true;
                paused = false;
                outstanding += Long.MAX_VALUE / 2;
                request(Long.MAX_VALUE);
            }

            @Override
            protected void hookOnComplete() {
                done.complete(null);
            }

            @Override
            protected void hookOnError(Throwable t) {
                done.completeExceptionally(t);
            }
        };
        client.read(id, 0).subscribe(subscriber);
        reachedPausePoint.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        long stopped = System.nanoTime();
        stopAt[0] = received.get();
        while (System.nanoTime() - lastByte.get() < PauseProbe.SILENCE.toNanos()) {
            Thread.sleep(50);
        }
        long after = received.get() - stopAt[0];
        double lastAfterStop = Math.max(0, lastByte.get() - stopped) / 1e6;
        long resumeAt = System.nanoTime();
        subscriber.resumeReading();
        done.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        check(received.get(), size);
        return new PauseOutcome(after, lastAfterStop, (firstAfterResume.get() - resumeAt) / 1e6);
    }

    private static void check(long bytes, long size) {
        if (bytes != size) {
            throw new IllegalStateException("Read " + bytes + " bytes of a " + size + "-byte file");
        }
    }
}
