package dev.relay.web.rsocket;

import dev.relay.api.Routes;
import dev.relay.api.wire.ProfileUpdate;
import dev.relay.api.wire.UserInfo;
import dev.relay.api.wire.UserQuery;
import dev.relay.streaming.chat.UserDirectory;
import dev.relay.web.security.CurrentUser;
import org.springframework.messaging.handler.annotation.MessageMapping;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.stereotype.Controller;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The users directory and the caller's profile (docs/protocol.md). */
@Controller
class UserController {

    private final UserDirectory users;

    UserController(UserDirectory users) {
        this.users = users;
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

    @MessageMapping(Routes.PROFILE_UPDATE)
    Mono<UserInfo> updateProfile(@Payload(required = false) ProfileUpdate update) {
        return CurrentUser.id().flatMap(me -> users.updateProfile(me, update == null ? null : update.displayName()));
    }
}
