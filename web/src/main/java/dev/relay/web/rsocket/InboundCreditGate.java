package dev.relay.web.rsocket;

import dev.relay.api.ErrorCode;
import dev.relay.streaming.TransferException;
import io.rsocket.Payload;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sits between the wire and everything else on the inbound side of a request-channel, and makes the handler's
 * request-n the credit the client sees.
 *
 * <p>Why: spring-security-rsocket authorizes each inbound payload of a channel with a {@code concatMap}, which asks
 * the wire for one payload at a time whatever the handler requested: a stop-and-wait that caps an upload at one
 * chunk per round trip. Here demand towards the wire comes only from {@link #grant(long)}, which the handler calls
 * with its own request-n (found in the Reactor context); what arrives is queued (never more than was granted) and
 * handed downstream, through the security interceptor, as fast as it asks. Every payload is still authorized.
 *
 * <p>rsocket-java 1.1.x cancels a channel whose requester sends beyond request-n (CANCEL "The number of messages
 * received exceeds the number requested") before the payload gets here; the gate counts credit itself all the same,
 * so an overrun can never reach the engine, whatever the transport: it fails the channel with CREDIT_EXCEEDED.
 */
final class InboundCreditGate extends Flux<Payload> implements CoreSubscriber<Payload>, Subscription {

    private final Publisher<Payload> source;
    private final Queue<Payload> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong credit = new AtomicLong();
    private final AtomicLong requested = new AtomicLong();
    private final AtomicInteger wip = new AtomicInteger();

    private CoreSubscriber<? super Payload> downstream;
    private volatile Subscription upstream;
    private volatile boolean firstRequested;
    private volatile boolean done;
    private volatile boolean cancelled;
    private Throwable error;

    InboundCreditGate(Publisher<Payload> source) {
        this.source = source;
    }

    /** Asks the client for {@code n} more payloads (REQUEST_N). */
    void grant(long n) {
        if (n <= 0 || cancelled || done) {
            return;
        }
        credit.addAndGet(n);
        Subscription s = upstream;
        if (s != null) {
            s.request(n);
        }
    }

    @Override
    public void subscribe(CoreSubscriber<? super Payload> actual) {
        this.downstream = actual;
        source.subscribe(this);
    }

    @Override
    public void onSubscribe(Subscription s) {
        if (Operators.validate(upstream, s)) {
            upstream = s;
            downstream.onSubscribe(this);
        }
    }

    @Override
    public void onNext(Payload payload) {
        if (done) {
            payload.release();
            return;
        }
        if (credit.decrementAndGet() < 0) {
            payload.release();
            upstream.cancel();
            error = new TransferException(ErrorCode.CREDIT_EXCEEDED, "A payload arrived without credit: send only"
                    + " as many payloads as the server requested (request-n).");
            done = true;
        } else {
            queue.offer(payload);
        }
        drain();
    }

    @Override
    public void onError(Throwable t) {
        error = t;
        done = true;
        drain();
    }

    @Override
    public void onComplete() {
        done = true;
        drain();
    }

    @Override
    public void request(long n) {
        if (!Operators.validate(n)) {
            return;
        }
        requested.getAndUpdate(current -> Operators.addCap(current, n));
        if (!firstRequested) {
            // The first payload (REQUEST_CHANNEL itself) carries the route and start offset: it needs one credit.
            firstRequested = true;
            grant(1);
        }
        drain();
    }

    @Override
    public void cancel() {
        if (cancelled) {
            return;
        }
        cancelled = true;
        upstream.cancel();
        if (wip.getAndIncrement() == 0) {
            clear();
        }
    }

    private void drain() {
        if (wip.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            if (cancelled) {
                clear();
                return;
            }
            long r = requested.get();
            long emitted = 0;
            while (emitted != r) {
                Payload next = queue.poll();
                if (next == null) {
                    break;
                }
                downstream.onNext(next);
                emitted++;
                if (cancelled) {
                    clear();
                    return;
                }
            }
            if (emitted != 0 && r != Long.MAX_VALUE) {
                requested.addAndGet(-emitted);
            }
            if (done && queue.isEmpty()) {
                Throwable e = error;
                if (e != null) {
                    downstream.onError(e);
                } else {
                    downstream.onComplete();
                }
                cancelled = true;
                return;
            }
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    private void clear() {
        Payload p;
        while ((p = queue.poll()) != null) {
            p.release();
        }
    }
}
