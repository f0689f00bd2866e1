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
 * Reads {@code [offset, offset + length)} of an object as consecutive ranged reads of
 * {@link DownloadSettings#segmentBytes()}, up to {@link DownloadSettings#rangedReads()} open at once, and hands their
 * chunks on in order (a later read's chunks wait here until the earlier ones have gone).
 *
 * <p>Chunks are asked of the store one by one, and only while three things hold. The window: bytes asked for and not
 * yet {@linkplain DownloadChunk#written() written} (in flight from S3, waiting here, in RSocket's queue or in Reactor
 * Netty's) stay within {@link DownloadSettings#windowBytes()}, so a client whose socket does not drain costs at most
 * the window, whatever it requested. Demand: only for bytes the subscriber asked for and has not already got on their
 * way, so a client that stops requesting stops reading from S3. And order: room goes to the earliest read first, each
 * at most its share of the window ahead of what was handed on.
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
        /** Bytes asked of the store: requested - released is what the window holds or has promised. */
        private long requestedBytes;
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
                        head.emittedBytes += next.remaining();
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
                if (head.emittedBytes == head.size) {
                    // Every byte asked for arrived: the read ends here (the store would need one more request to
                    // signal its end), and its connection goes back to the pool.
                    head.cancel();
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

        /**
         * Opens up to {@code rangedReads} ranged reads ahead and asks each for chunks, in order, while the window has
         * room, each read has less than its share of the window ({@code windowBytes / rangedReads}) read ahead and not
         * yet handed on, and the subscriber wants bytes not already on their way. A read's GET goes out with its first
         * chunk's request, so the next reads' connections are open before the reader reaches them.
         */
        private void readAhead() {
            int chunk = settings.chunkBytes();
            long share = settings.segmentBytes();
            while (segments.size() < settings.rangedReads() && nextStart < end) {
                long size = Math.min(settings.segmentBytes(), end - nextStart);
                Segment segment = new Segment(size);
                segments.add(segment);
                store.read(key, nextStart, size, chunk).subscribe(segment);
                nextStart += size;
            }
            long room = settings.windowBytes() - (requestedBytes - releasedBytes.get());
            long chunksWanted = requested.get() - emitted;
            // Bytes the subscriber asked for beyond those already asked of the store (a chunk each payload).
            long wanted = chunksWanted >= Long.MAX_VALUE / chunk ? Long.MAX_VALUE
                    : chunksWanted * chunk - (requestedBytes - emittedBytes);
            for (Segment segment : segments) {
                long chunks = 0;
                while (segment.requestedBytes < segment.size && wanted > 0) {
                    long next = Math.min(chunk, segment.size - segment.requestedBytes);
                    if (next > room || segment.requestedBytes - segment.emittedBytes + next > share) {
                        break;
                    }
                    wanted -= next;
                    segment.requestedBytes += next;
                    requestedBytes += next;
                    room -= next;
                    chunks++;
                }
                if (chunks > 0) {
                    segment.request(chunks);
                }
                if (wanted <= 0 || room < chunk) {
                    return; // room goes to the earliest reads first
                }
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

        /** One ranged GET, asked for chunk by chunk. Fields without a thread-safe type are {@link #drain}'s. */
        private final class Segment implements CoreSubscriber<ByteBuffer> {
            final long size;
            final Queue<ByteBuffer> arrived = new ConcurrentLinkedQueue<>();
            final AtomicReference<Subscription> upstream = new AtomicReference<>();
            final AtomicLong pending = new AtomicLong();
            long requestedBytes;
            long emittedBytes;
            volatile Throwable error;

            Segment(long size) {
                this.size = size;
            }

            @Override
            public void onSubscribe(Subscription s) {
                if (upstream.compareAndSet(null, s)) {
                    long n = pending.getAndSet(0);
                    if (n > 0) {
                        s.request(n);
                    }
                } else {
                    s.cancel();
                }
            }

            /** Requests that come before the store's subscription wait for it. */
            void request(long n) {
                Subscription s = upstream.get();
                if (s == null) {
                    pending.addAndGet(n);
                    s = upstream.get();
                    if (s == null) {
                        return;
                    }
                    n = pending.getAndSet(0);
                    if (n == 0) {
                        return;
                    }
                }
                s.request(n);
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
                // Ends are decided by the bytes received (emit); nothing more to do.
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
