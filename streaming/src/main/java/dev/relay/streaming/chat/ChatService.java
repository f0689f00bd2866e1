package dev.relay.streaming.chat;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.ChatMessage;
import dev.relay.api.wire.Conversation;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.Event;
import dev.relay.api.wire.HistoryRequest;
import dev.relay.api.wire.ReadMarker;
import dev.relay.api.wire.UploadTicket;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.AccountRepository;
import dev.relay.streaming.port.ChatRepository;
import dev.relay.streaming.port.ChatRepository.NewMessage;
import dev.relay.streaming.port.EventBus.Envelope;
import dev.relay.streaming.port.RateLimits;
import dev.relay.streaming.port.Transactions;
import dev.relay.streaming.support.RequestBatcher;
import dev.relay.streaming.upload.UploadService;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;

/**
 * One-to-one conversations: text and file messages, history, read markers, deletion. Every change is one
 * transaction that first locks both users' accounts (in id order), writes, and appends the events both users will
 * receive; the events are published once it committed, so nothing is ever announced that was not stored. Text
 * messages that arrive while others are being written share one such transaction ({@link RequestBatcher}).
 */
public final class ChatService {

    private static final int DEFAULT_PAGE = 50;
    private static final int MAX_PAGE = 200;
    private static final int MAX_TEXT_BATCH = 100;

    private final ChatRepository chat;
    private final AccountRepository accounts;
    private final Transactions tx;
    private final UploadService uploads;
    private final UserDirectory users;
    private final EventLog events;
    private final ChatSettings settings;
    private final RateLimits rate;
    private final RateLimits.Limit messages;
    private final Clock clock;
    /** Chat writes in progress on this node (see {@link ChatSettings#maxPendingWrites}). */
    private final Semaphore pending;
    /** Text messages, written in batches ({@link ChatSettings#textTransactions} at once). */
    private final RequestBatcher<NewMessage, ChatMessage> texts;

    public ChatService(ChatRepository chat, AccountRepository accounts, Transactions tx, UploadService uploads,
                       UserDirectory users, EventLog events, ChatSettings settings, RateLimits rate, Clock clock) {
        this.chat = chat;
        this.accounts = accounts;
        this.tx = tx;
        this.uploads = uploads;
        this.users = users;
        this.events = events;
        this.settings = settings;
        this.clock = clock;
        this.rate = rate;
        this.messages = new RateLimits.Limit(settings.messagesPerMinute(), settings.messageBurst());
        this.pending = new Semaphore(settings.maxPendingWrites());
        this.texts = new RequestBatcher<>(this::writeTexts, settings.textTransactions(), MAX_TEXT_BATCH);
    }

    public Mono<ChatMessage> sendText(String senderId, String peerId, String text) {
        String body = text == null ? "" : text.strip();
        if (body.isEmpty()) {
            return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "A message needs some text."));
        }
        if (body.length() > settings.maxTextLength()) {
            return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "A message has at most "
                    + settings.maxTextLength() + " characters; this one has " + body.length() + "."));
        }
        return admitted(limited(senderId)
                .then(users.recipient(senderId, peerId))
                .flatMap(peer -> texts.submit(new NewMessage(senderId, peer.id(), ChatMessage.Kind.TEXT, body,
                        null))));
    }

    /**
     * Creates an upload sent to {@code request.recipient()} and its file message, together: both exist or neither.
     */
    public Mono<UploadTicket> sendFile(String senderId, CreateUploadRequest request) {
        return admitted(limited(senderId)
                .then(users.recipient(senderId, request == null ? null : request.recipient()))
                .flatMap(peer -> tx.required(accounts.lock(senderId, peer.id())
                        .then(uploads.createRecord(senderId, request, peer.id()))
                        .flatMap(upload -> chat.insert(new NewMessage(senderId, peer.id(), ChatMessage.Kind.FILE,
                                        null, upload.id()))
                                .flatMap(message -> announce(Event.Type.MESSAGE, message)
                                        .map(appended -> new Sent(uploads.ticket(upload, message.id()),
                                                appended))))))
                .doOnNext(sent -> events.publish(sent.events()))
                .map(Sent::ticket));
    }

    public Flux<ChatMessage> history(String userId, String peerId, HistoryRequest request) {
        int limit = request == null || request.limit() == null ? DEFAULT_PAGE : request.limit();
        if (limit < 1 || limit > MAX_PAGE) {
            return Flux.error(new TransferException(ErrorCode.INVALID_REQUEST, "A history page has 1 to " + MAX_PAGE
                    + " messages."));
        }
        return users.existing(peerId)
                .thenMany(chat.history(userId, peerId, request == null ? null : request.before(), limit));
    }

    public Mono<ReadMarker> read(String userId, String peerId, long messageId) {
        return admitted(users.existing(peerId)
                .flatMap(peer -> tx.required(accounts.lock(userId, peerId)
                        .then(chat.markRead(userId, peerId, messageId))
                        .flatMap(state -> {
                            ReadMarker marker = new ReadMarker(userId, peerId, state.messageId(), state.unread());
                            if (!state.moved()) {
                                // Nothing changed: no event for either user's log (a client repeating itself
                                // must not fill the other's).
                                return Mono.just(new Marked(marker, List.of()));
                            }
                            Event event = new Event(null, Event.Type.READ, clock.instant(), null, marker, null, null);
                            return events.append(event, userId, peerId).map(e -> new Marked(marker, e));
                        })))
                .doOnNext(marked -> events.publish(marked.events()))
                .map(Marked::marker));
    }

    public Flux<Conversation> conversations(String userId) {
        // The peers' accounts in one query for all: not one per conversation, and never a query while another's
        // rows are still being read (that held two pooled connections per call and, with enough calls at once,
        // took the whole pool).
        return chat.conversations(userId).collectList()
                .flatMapMany(rows -> accounts.findByIds(rows.stream().map(ChatRepository.ConversationRow::peerId)
                                .distinct().toList())
                        .collectMap(AccountRepository.Account::id)
                        .flatMapMany(peers -> {
                            List<ChatRepository.ConversationRow> found = rows.stream()
                                    .filter(row -> peers.containsKey(row.peerId())).toList();
                            return users.infos(found.stream().map(row -> peers.get(row.peerId())).toList())
                                    .zipWithIterable(found, (info, row) -> new Conversation(info, row.lastMessage(),
                                            row.unread()));
                        }));
    }

    /**
     * Deletes one of the sender's messages for both users; a file message's file goes with it (an upload still
     * running is stopped and its multipart upload aborted).
     */
    public Mono<ChatMessage> delete(String userId, String peerId, long messageId) {
        return chat.find(messageId)
                .filter(m -> (m.from().equals(userId) && m.to().equals(peerId))
                        || (m.to().equals(userId) && m.from().equals(peerId)))
                .switchIfEmpty(Mono.error(() -> new TransferException(ErrorCode.NOT_FOUND, "No message " + messageId
                        + " in this conversation.")))
                .flatMap(m -> {
                    if (!m.from().equals(userId)) {
                        return Mono.error(new TransferException(ErrorCode.FORBIDDEN, "Only the sender can delete a"
                                + " message."));
                    }
                    if (m.deleted()) {
                        return Mono.just(m);
                    }
                    Mono<Void> file = m.file() == null ? Mono.empty() : uploads.delete(m.file().uploadId());
                    return tx.required(accounts.lock(m.from(), m.to())
                                    .then(chat.markDeleted(messageId))
                                    .then(chat.find(messageId))
                                    .flatMap(latest -> announce(Event.Type.MESSAGE_UPDATED, latest)
                                            .map(appended -> new Posted(latest, appended))))
                            .doOnNext(posted -> events.publish(posted.events()))
                            .flatMap(posted -> file.thenReturn(posted.message()));
                });
    }

    /**
     * Deletes a file (an administrator's call): the object goes, and its message, if any, shows the file as
     * deleted (through the upload's state change).
     */
    public Mono<Void> deleteFile(String uploadId) {
        return uploads.delete(uploadId);
    }

    /** Text messages in one transaction: the locks of all their users (in id order), the messages, their events. */
    private Mono<List<ChatMessage>> writeTexts(List<NewMessage> batch) {
        String[] everyone = batch.stream().flatMap(m -> Stream.of(m.senderId(), m.recipientId())).distinct()
                .toArray(String[]::new);
        return tx.required(accounts.lock(everyone)
                        .then(chat.insertAll(batch))
                        .flatMap(stored -> events.append(stored.stream().map(m -> new EventLog.Announcement(
                                        Event.message(null, Event.Type.MESSAGE, clock.instant(), m),
                                        List.of(m.from(), m.to()))).toList())
                                .map(appended -> new Batch(stored, appended))))
                .doOnNext(written -> events.publish(written.events()))
                .map(Batch::messages);
    }

    private Mono<List<Envelope>> announce(Event.Type type, ChatMessage message) {
        return events.append(Event.message(null, type, clock.instant(), message), message.from(), message.to());
    }

    /**
     * Runs a chat write if the node is working on fewer than {@link ChatSettings#maxPendingWrites}; otherwise
     * refuses it at once. Past saturation a queue only grows (and with it every message's latency and the heap):
     * refusing early keeps the writes admitted fast, and the client knows to retry.
     */
    private <T> Mono<T> admitted(Mono<T> write) {
        return Mono.defer(() -> {
            if (!pending.tryAcquire()) {
                return Mono.error(new TransferException(ErrorCode.OVERLOADED, "The server is busy with other"
                        + " messages right now; send again in a moment."));
            }
            return write.doFinally(signal -> pending.release());
        });
    }

    private Mono<Void> limited(String userId) {
        // One bucket per user, whichever node the messages come through.
        return rate.take("chat:" + userId, messages).flatMap(wait -> wait == 0 ? Mono.<Void>empty()
                : Mono.error(new TransferException(ErrorCode.RATE_LIMITED, "You are sending faster than "
                + settings.messagesPerMinute() + " messages a minute; send again in " + seconds(wait) + ".")));
    }

    private static String seconds(long millis) {
        long s = Math.max(1, (millis + 999) / 1000);
        return s == 1 ? "a second" : s + " seconds";
    }

    private record Posted(ChatMessage message, List<Envelope> events) {
    }

    private record Batch(List<ChatMessage> messages, List<Envelope> events) {
    }

    private record Sent(UploadTicket ticket, List<Envelope> events) {
    }

    private record Marked(ReadMarker marker, List<Envelope> events) {
    }
}
