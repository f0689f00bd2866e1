package dev.relay.web.rsocket;

import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.plugins.RSocketInterceptor;
import io.rsocket.util.RSocketProxy;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The outermost wrapper of every connection's responder (outside spring-security-rsocket's): gives each
 * request-channel an {@link InboundCreditGate} and turns every failure into a coded wire error.
 */
public final class RelayResponderInterceptor implements RSocketInterceptor {

    @Override
    public RSocket apply(RSocket responder) {
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
                return super.requestStream(payload).onErrorMap(WireErrors::toApplicationError);
            }

            @Override
            public Flux<Payload> requestChannel(Publisher<Payload> payloads) {
                InboundCreditGate gate = new InboundCreditGate(payloads);
                return super.requestChannel(gate)
                        .onErrorMap(WireErrors::toApplicationError)
                        .contextWrite(ctx -> ctx.put(ChannelCredit.key(), new ChannelCredit(gate)));
            }
        };
    }
}
