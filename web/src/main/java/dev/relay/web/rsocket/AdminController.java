package dev.relay.web.rsocket;

import dev.relay.api.Routes;
import dev.relay.api.wire.Invite;
import dev.relay.api.wire.UserInfo;
import dev.relay.streaming.chat.ChatService;
import dev.relay.streaming.chat.UserDirectory;
import dev.relay.web.security.Admission;
import dev.relay.web.security.CurrentUser;
import org.springframework.messaging.handler.annotation.DestinationVariable;
import org.springframework.messaging.handler.annotation.MessageMapping;
import org.springframework.stereotype.Controller;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Administrators' routes: every one checks the caller's ADMIN role (from the account, not the token). */
@Controller
class AdminController {

    private final UserDirectory users;
    private final ChatService chat;
    private final Admission admission;

    AdminController(UserDirectory users, ChatService chat, Admission admission) {
        this.users = users;
        this.chat = chat;
        this.admission = admission;
    }

    /** A new invite code for registration mode {@code invite}; only its hash is stored. */
    @MessageMapping(Routes.ADMIN_CREATE_INVITE)
    Mono<Invite> createInvite() {
        return CurrentUser.admin().flatMap(admission::createInvite);
    }

    @MessageMapping(Routes.ADMIN_USERS)
    Flux<UserInfo> users() {
        return CurrentUser.admin().thenMany(users.all());
    }

    @MessageMapping(Routes.ADMIN_DISABLE)
    Mono<UserInfo> disable(@DestinationVariable String id) {
        return CurrentUser.admin().flatMap(admin -> users.disable(admin, id));
    }

    @MessageMapping(Routes.ADMIN_ENABLE)
    Mono<UserInfo> enable(@DestinationVariable String id) {
        return CurrentUser.admin().flatMap(admin -> users.enable(id));
    }

    /** Deletes any file: the object is removed and its message shows the file as deleted. */
    @MessageMapping(Routes.ADMIN_DELETE_FILE)
    Mono<Void> deleteFile(@DestinationVariable String id) {
        return CurrentUser.admin().flatMap(admin -> chat.deleteFile(id));
    }
}
