package dev.relay.web.rsocket;

import dev.relay.api.Routes;
import dev.relay.api.wire.Event;
import dev.relay.api.wire.EventsRequest;
import dev.relay.streaming.chat.EventFeed;
import dev.relay.web.security.CurrentUser;
import org.springframework.messaging.handler.annotation.MessageMapping;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.messaging.rsocket.RSocketRequester;
import org.springframework.stereotype.Controller;
import reactor.core.publisher.Flux;

/** The live event stream (docs/protocol.md): one per connection is enough, each gets every event of its user. */
@Controller
class EventController {

    private final EventFeed feed;

    EventController(EventFeed feed) {
        this.feed = feed;
    }

    /** The connection (its RSocket) keys the stream's {@code presence.watch} set. */
    @MessageMapping(Routes.EVENTS)
    Flux<Event> events(@Payload(required = false) EventsRequest request, RSocketRequester requester) {
        return CurrentUser.id().flatMapMany(user -> feed.stream(user, request == null ? null : request.since(),
                requester.rsocket()));
    }
}
