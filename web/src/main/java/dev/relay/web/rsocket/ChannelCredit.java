package dev.relay.web.rsocket;

import reactor.util.context.ContextView;

import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * The handle through which a request-channel handler grants credit to the client. {@link RelayResponderInterceptor}
 * puts it into the Reactor context of every channel.
 */
public final class ChannelCredit {

    private static final Object KEY = ChannelCredit.class;

    private final InboundCreditGate gate;

    ChannelCredit(InboundCreditGate gate) {
        this.gate = gate;
    }

    static Object key() {
        return KEY;
    }

    /** The channel's credit handle, if the handler runs inside a channel opened through the interceptor. */
    public static Optional<ChannelCredit> from(ContextView context) {
        return context.getOrEmpty(KEY);
    }

    /** Grants {@code n} more payloads to the client. */
    public void grant(long n) {
        gate.grant(n);
    }

    /** A request-n hook for {@code Flux.doOnRequest}: the handler's demand becomes the client's credit. */
    public LongConsumer asRequestHook() {
        return this::grant;
    }
}
