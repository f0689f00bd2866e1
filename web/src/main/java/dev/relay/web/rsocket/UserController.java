package dev.relay.web.rsocket;

import dev.relay.api.Routes;
import dev.relay.api.wire.PresenceState;
import dev.relay.api.wire.PresenceWatch;
import dev.relay.api.wire.ProfileUpdate;
import dev.relay.api.wire.UserInfo;
import dev.relay.api.wire.UserQuery;
import dev.relay.streaming.chat.PresenceInterest;
import dev.relay.streaming.chat.UserDirectory;
import io.rsocket.RSocket;
import dev.relay.web.security.CurrentUser;
import org.springframework.messaging.handler.annotation.MessageMapping;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.messaging.rsocket.RSocketRequester;
import org.springframework.stereotype.Controller;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The users directory and the caller's profile (docs/protocol.md). */
@Controller
class UserController {

    private final UserDirectory users;
    private final PresenceInterest interest;

    UserController(UserDirectory users, PresenceInterest interest) {
        this.users = users;
        this.interest = interest;
    }

    @MessageMapping(Routes.USERS_ME)
    Mono<UserInfo> me() {
        return CurrentUser.id().flatMap(users::me);
    }

    @MessageMapping(Routes.USERS_LIST)
    Flux<UserInfo> list() {
        return CurrentUser.id().thenMany(users.list());
    }

    @MessageMapping(Routes.USERS_SEARCH)
    Flux<UserInfo> search(@Payload(required = false) UserQuery query) {
        return CurrentUser.id().thenMany(users.search(query == null ? null : query.query(),
                query == null ? null : query.limit()));
    }

    /**
     * Whose presence this connection's event streams get besides the caller's conversation peers; keyed by the
     * connection (its RSocket), forgotten when it closes ({@code Connections}).
     */
    @MessageMapping(Routes.PRESENCE_WATCH)
    Mono<PresenceState> watchPresence(@Payload(required = false) PresenceWatch request, RSocketRequester requester) {
        RSocket connection = requester.rsocket();
        return CurrentUser.id().flatMap(me -> users.watch(connection, request == null ? null : request.users()))
                .doOnNext(state -> {
                    // Closed while we watched: Connections' forget may have run before, so forget again.
                    if (connection.isDisposed()) {
                        interest.forget(connection);
                    }
                })
                .map(PresenceState::new);
    }

    @MessageMapping(Routes.PROFILE_UPDATE)
    Mono<UserInfo> updateProfile(@Payload(required = false) ProfileUpdate update) {
        return CurrentUser.id().flatMap(me -> users.updateProfile(me, update == null ? null : update.displayName()));
    }
}
