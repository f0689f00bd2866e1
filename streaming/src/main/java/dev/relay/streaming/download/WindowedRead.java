package dev.relay.streaming.download;

import dev.relay.streaming.port.ObjectStore;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Reads {@code [offset, offset + length)} of an object as consecutive ranged GETs ("segments") of
 * {@link DownloadSettings#segmentBytes()}, several in flight at once, emitted in order.
 *
 * <p>Two limits decide when the next segment is read. The window: bytes read and not yet {@linkplain
 * DownloadChunk#written() written} (held in memory, wherever they wait: here, in RSocket's queue, in Reactor Netty's)
 * plus the next segment must fit in {@link DownloadSettings#windowBytes()}; so a client whose socket does not drain
 * costs at most the window, whatever it requested. And demand: a segment is read only for bytes the subscriber asked
 * for and has not already got on their way, so a client that stops requesting stops reading from S3.
 */
final class WindowedRead extends Flux<DownloadChunk> {

    private final ObjectStore store;
    private final String key;
    private final long offset;
    private final long length;
    private final DownloadSettings settings;
    private final DownloadStats stats;

    WindowedRead(ObjectStore store, String key, long offset, long length, DownloadSettings settings,
                 DownloadStats stats) {
        this.store = store;
        this.key = key;
        this.offset = offset;
        this.length = length;
        this.settings = settings;
        this.stats = stats;
    }

    @Override
    public void subscribe(CoreSubscriber<? super DownloadChunk> actual) {
        actual.onSubscribe(new Reader(actual));
    }

    /** One subscription. Every field without a thread-safe type is touched only inside {@link #drain}. */
    final class Reader implements Subscription {

        private final CoreSubscriber<? super DownloadChunk> actual;
        private final AtomicInteger wip = new AtomicInteger();
        private final AtomicLong requested = new AtomicLong();
        private final AtomicLong releasedBytes = new AtomicLong();
        private final ArrayDeque<Segment> segments = new ArrayDeque<>();
        private final long end = offset + length;
        private long nextStart = offset;
        private long startedBytes;
        private long emitted;
        private long emittedBytes;
        private boolean finished;
        private volatile boolean cancelled;

        Reader(CoreSubscriber<? super DownloadChunk> actual) {
            this.actual = actual;
        }

        @Override
        public void request(long n) {
            if (Operators.validate(n)) {
                requested.getAndUpdate(r -> Operators.addCap(r, n));
                drain();
            }
        }

        @Override
        public void cancel() {
            cancelled = true;
            drain();
        }

        void written(int bytes) {
            releasedBytes.addAndGet(bytes);
            stats.released(bytes);
            drain();
        }

        void drain() {
            if (wip.getAndIncrement() != 0) {
                return;
            }
            int missed = 1;
            do {
                if (cancelled) {
                    clear();
                } else if (!finished) {
                    emit();
                    if (!finished && !cancelled) {
                        readAhead();
                    }
                }
                missed = wip.addAndGet(-missed);
            } while (missed != 0);
        }

        /** Hands over what has arrived, in order, as far as demand goes; ends the stream after the last segment. */
        private void emit() {
            long wanted = requested.get();
            while (true) {
                Segment head = segments.peek();
                if (head == null) {
                    break;
                }
                if (emitted != wanted) {
                    ByteBuffer next = head.arrived.poll();
                    if (next != null) {
                        emitted++;
                        emittedBytes += next.remaining();
                        actual.onNext(new DownloadChunk(next, this));
                        if (cancelled) {
                            return;
                        }
                        continue;
                    }
                }
                Throwable error = head.error;
                if (error != null) {
                    finished = true;
                    cancelled = true;
                    clear();
                    actual.onError(error);
                    return;
                }
                // complete is set after the segment's last chunk was queued: seen, the queue is final.
                if (head.complete && head.arrived.isEmpty()) {
                    segments.poll();
                    continue;
                }
                break;
            }
            if (segments.isEmpty() && nextStart >= end) {
                finished = true;
                actual.onComplete();
            }
        }

        /** Starts ranged GETs while the window has room and the subscriber wants bytes not yet on their way. */
        private void readAhead() {
            long window = settings.windowBytes();
            int chunk = settings.chunkBytes();
            while (nextStart < end) {
                long size = Math.min(settings.segmentBytes(), end - nextStart);
                long held = startedBytes - releasedBytes.get();
                if (held + size > window) {
                    return;
                }
                long chunksWanted = requested.get() - emitted;
                long onTheirWay = startedBytes - emittedBytes;
                boolean covered = chunksWanted < Long.MAX_VALUE / chunk && onTheirWay >= chunksWanted * chunk;
                if (chunksWanted <= 0 || covered) {
                    return;
                }
                Segment segment = new Segment();
                segments.add(segment);
                long start = nextStart;
                startedBytes += size;
                nextStart += size;
                store.read(key, start, size, chunk).subscribe(segment);
            }
        }

        /** After a cancellation or a failure: stops every read and lets go of what they brought. */
        private void clear() {
            for (Segment segment : segments) {
                segment.cancel();
                for (ByteBuffer dropped; (dropped = segment.arrived.poll()) != null; ) {
                    stats.released(dropped.remaining());
                }
            }
        }

        /** One ranged GET, read to its end as fast as S3 gives it: its bytes were budgeted when it started. */
        private final class Segment implements CoreSubscriber<ByteBuffer> {
            final Queue<ByteBuffer> arrived = new ConcurrentLinkedQueue<>();
            final AtomicReference<Subscription> upstream = new AtomicReference<>();
            volatile boolean complete;
            volatile Throwable error;

            @Override
            public void onSubscribe(Subscription s) {
                if (upstream.compareAndSet(null, s)) {
                    s.request(Long.MAX_VALUE);
                } else {
                    s.cancel();
                }
            }

            @Override
            public void onNext(ByteBuffer bytes) {
                stats.read(bytes.remaining());
                arrived.offer(bytes);
                drain();
            }

            @Override
            public void onError(Throwable t) {
                error = t;
                drain();
            }

            @Override
            public void onComplete() {
                complete = true;
                drain();
            }

            void cancel() {
                Subscription previous = upstream.getAndSet(Operators.cancelledSubscription());
                if (previous != null) {
                    previous.cancel();
                }
            }
        }
    }
}
