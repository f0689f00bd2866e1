package dev.relay.web.rsocket;

import dev.relay.api.ErrorCode;
import dev.relay.streaming.TransferException;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.messaging.handler.DestinationPatternsMessageCondition;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.messaging.handler.annotation.MessageMapping;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.stereotype.Controller;
import org.springframework.util.RouteMatcher;
import reactor.core.publisher.Flux;

/**
 * Answers a request-channel to a route no other handler takes (the more specific mappings win).
 *
 * <p>Without it, Spring fails such a channel before anything reads its payloads and then releases the first payload,
 * which rsocket-java releases too when the channel is cancelled (spring-framework#27376): a double release of a
 * pooled buffer, which could free one already handed out again. Here the first payload is read and released once,
 * and the channel ends with the same {@code UNKNOWN_ROUTE} error as any other unknown route. ({@code "*.**"}: with
 * Spring's message-route patterns a bare {@code "**"} matches nothing.)
 */
@Controller
class UnknownChannelController {

    @MessageMapping("*.**")
    Flux<Void> unknown(@Payload(required = false) Flux<DataBuffer> payloads,
                       @Header(DestinationPatternsMessageCondition.LOOKUP_DESTINATION_HEADER) RouteMatcher.Route route) {
        return payloads.take(1)
                .doOnNext(DataBufferUtils::release)
                .thenMany(Flux.error(new TransferException(ErrorCode.UNKNOWN_ROUTE, "No such route for a"
                        + " request-channel: '" + route.value() + "'; see docs/protocol.md for the routes.")));
    }
}
