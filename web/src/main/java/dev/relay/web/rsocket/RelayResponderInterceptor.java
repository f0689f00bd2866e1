package dev.relay.web.rsocket;

import dev.relay.api.ErrorCode;
import dev.relay.streaming.TransferException;
import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.plugins.RSocketInterceptor;
import io.rsocket.util.RSocketProxy;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The outermost wrapper of every connection's responder (outside spring-security-rsocket's): gives each
 * request-channel an {@link InboundCreditGate}, bounds the streams and channels open on the connection, and turns
 * every failure into a coded wire error.
 */
public final class RelayResponderInterceptor implements RSocketInterceptor {

    private final int maxStreams;

    public RelayResponderInterceptor(int maxStreams) {
        this.maxStreams = maxStreams;
    }

    @Override
    public RSocket apply(RSocket responder) {
        AtomicInteger open = new AtomicInteger();
        return new RSocketProxy(responder) {
            @Override
            public Mono<Void> fireAndForget(Payload payload) {
                return super.fireAndForget(payload).onErrorMap(WireErrors::toApplicationError);
            }

            @Override
            public Mono<Payload> requestResponse(Payload payload) {
                return super.requestResponse(payload).onErrorMap(WireErrors::toApplicationError);
            }

            @Override
            public Flux<Payload> requestStream(Payload payload) {
                if (open.incrementAndGet() > maxStreams) {
                    open.decrementAndGet();
                    payload.release();
                    return Flux.error(WireErrors.toApplicationError(tooMany()));
                }
                return super.requestStream(payload)
                        .onErrorMap(WireErrors::toApplicationError)
                        .doFinally(signal -> open.decrementAndGet());
            }

            @Override
            public Flux<Payload> requestChannel(Publisher<Payload> payloads) {
                if (open.incrementAndGet() > maxStreams) {
                    open.decrementAndGet();
                    // The first payload arrived with the request: release it, then refuse.
                    return Flux.from(payloads).take(1).doOnNext(Payload::release)
                            .thenMany(Flux.error(WireErrors.toApplicationError(tooMany())));
                }
                InboundCreditGate gate = new InboundCreditGate(payloads);
                return super.requestChannel(gate)
                        .onErrorMap(WireErrors::toApplicationError)
                        .contextWrite(ctx -> ctx.put(ChannelCredit.key(), new ChannelCredit(gate)))
                        .doFinally(signal -> open.decrementAndGet());
            }
        };
    }

    private TransferException tooMany() {
        return new TransferException(ErrorCode.LIMIT_EXCEEDED, "This connection has " + maxStreams + " streams and"
                + " channels open, the most one may (relay.connections.max-streams); end some, or open another"
                + " connection.");
    }
}
