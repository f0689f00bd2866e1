package dev.relay.web.rsocket;

import dev.relay.api.ErrorCode;
import dev.relay.api.Routes;
import dev.relay.api.wire.ChatMessage;
import dev.relay.api.wire.Conversation;
import dev.relay.api.wire.DeleteMessage;
import dev.relay.api.wire.HistoryRequest;
import dev.relay.api.wire.ReadMarker;
import dev.relay.api.wire.SendText;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.chat.ChatService;
import dev.relay.web.security.CurrentUser;
import org.springframework.messaging.handler.annotation.DestinationVariable;
import org.springframework.messaging.handler.annotation.MessageMapping;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.stereotype.Controller;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The conversation routes (docs/protocol.md); {@code {user}} is the other user's id. */
@Controller
class ChatController {

    private final ChatService chat;

    ChatController(ChatService chat) {
        this.chat = chat;
    }

    @MessageMapping(Routes.CHAT_LIST)
    Flux<Conversation> list() {
        return CurrentUser.id().flatMapMany(chat::conversations);
    }

    @MessageMapping(Routes.CHAT_SEND)
    Mono<ChatMessage> send(@DestinationVariable String user, @Payload(required = false) SendText request) {
        return CurrentUser.id().flatMap(me -> chat.sendText(me, user, request == null ? null : request.text()));
    }

    @MessageMapping(Routes.CHAT_HISTORY)
    Flux<ChatMessage> history(@DestinationVariable String user, @Payload(required = false) HistoryRequest request) {
        return CurrentUser.id().flatMapMany(me -> chat.history(me, user, request));
    }

    @MessageMapping(Routes.CHAT_READ)
    Mono<ReadMarker> read(@DestinationVariable String user, @Payload(required = false) ReadMarker request) {
        if (request == null) {
            return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "chat.{user}.read needs"
                    + " {\"messageId\": n}."));
        }
        return CurrentUser.id().flatMap(me -> chat.read(me, user, request.messageId()));
    }

    @MessageMapping(Routes.CHAT_DELETE)
    Mono<ChatMessage> delete(@DestinationVariable String user, @Payload(required = false) DeleteMessage request) {
        if (request == null) {
            return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "chat.{user}.delete needs"
                    + " {\"messageId\": n}."));
        }
        return CurrentUser.id().flatMap(me -> chat.delete(me, user, request.messageId()));
    }
}
