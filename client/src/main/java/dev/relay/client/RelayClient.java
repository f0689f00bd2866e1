package dev.relay.client;

import dev.relay.api.ErrorCode;
import dev.relay.api.MimeTypes;
import dev.relay.api.Routes;
import dev.relay.api.wire.ChatMessage;
import dev.relay.api.wire.Conversation;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.DeleteMessage;
import dev.relay.api.wire.ErrorBody;
import dev.relay.api.wire.Event;
import dev.relay.api.wire.EventsRequest;
import dev.relay.api.wire.FileInfo;
import dev.relay.api.wire.HistoryRequest;
import dev.relay.api.wire.PresenceState;
import dev.relay.api.wire.PresenceWatch;
import dev.relay.api.wire.ProfileUpdate;
import dev.relay.api.wire.RateLimit;
import dev.relay.api.wire.ReadMarker;
import dev.relay.api.wire.ReadRequest;
import dev.relay.api.wire.SendText;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTelemetry;
import dev.relay.api.wire.UploadTicket;
import dev.relay.api.wire.Invite;
import dev.relay.api.wire.UserInfo;
import dev.relay.api.wire.UserQuery;
import dev.relay.api.wire.WriteStart;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.core.RSocketConnector;
import io.rsocket.exceptions.ApplicationErrorException;
import io.rsocket.exceptions.RejectedSetupException;
import io.rsocket.metadata.AuthMetadataCodec;
import io.rsocket.metadata.CompositeMetadataCodec;
import io.rsocket.metadata.TaggingMetadataCodec;
import io.rsocket.metadata.WellKnownMimeType;
import io.rsocket.transport.netty.client.WebsocketClientTransport;
import io.rsocket.util.ByteBufPayload;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.util.retry.Retry;
import reactor.util.retry.RetryBackoffSpec;

import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

/**
 * The Java client for services: every route of docs/protocol.md over one RSocket-over-WebSocket connection, which
 * is re-established (with backoff) when it drops. Higher-level resumable transfers are in {@link FileTransfers}.
 */
public final class RelayClient implements AutoCloseable {

    /** The largest frame RSocket allows (a 24-bit length). */
    private static final int MAX_FRAME_BYTES = 0xFF_FFFF;

    private final Mono<RSocket> rsocket;
    private volatile RSocket current;

    private RelayClient(Mono<RSocket> rsocket) {
        this.rsocket = rsocket.doOnNext(r -> current = r);
    }

    /**
     * Connects lazily (on the first request) to {@code wsUri} (for example {@code ws://localhost:8080/rsocket}),
     * authenticating the connection with {@code token} (none if null or empty: the server will refuse it);
     * reconnects with backoff after the connection drops.
     */
    public static RelayClient connect(URI wsUri, String token) {
        return connect(wsUri, token, Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(200))
                .maxBackoff(Duration.ofSeconds(5)));
    }

    public static RelayClient connect(URI wsUri, String token, RetryBackoffSpec reconnect) {
        // A connection of its own, not one from a pool: a client is one long-lived WebSocket, and Reactor Netty's
        // default pool holds at most 500 per host, so a program with more clients would wait for ever.
        HttpClient http = HttpClient.newConnection()
                .host(wsUri.getHost())
                .port(wsUri.getPort() == -1 ? ("wss".equals(wsUri.getScheme()) ? 443 : 80) : wsUri.getPort())
                .doOnConnected(connection -> MaskingFrameEncoder.install(connection.channel()));
        if ("wss".equals(wsUri.getScheme())) {
            http = http.secure();
        }
        WebsocketClientTransport transport = WebsocketClientTransport.create(http, wsUri.getPath())
                .webSocketSpec(spec -> spec.maxFramePayloadLength(MAX_FRAME_BYTES));
        Mono<RSocket> connection = RSocketConnector.create()
                .metadataMimeType(MimeTypes.COMPOSITE_METADATA)
                .dataMimeType(MimeTypes.JSON)
                .setupPayload(Mono.fromSupplier(() -> ByteBufPayload.create(Unpooled.EMPTY_BUFFER,
                        token == null || token.isEmpty() ? Unpooled.EMPTY_BUFFER : bearer(token))))
                .keepAlive(Duration.ofSeconds(20), Duration.ofSeconds(90))
                .reconnect(reconnect.filter(RelayClient::isConnectionFailure))
                .connect(transport);
        return new RelayClient(connection);
    }

    /** Failures a new connection may cure; a refused token or a bad configuration are not among them. */
    private static boolean isConnectionFailure(Throwable e) {
        return !(e instanceof RejectedSetupException || e instanceof IllegalArgumentException
                || e instanceof IllegalStateException);
    }

    // ---- uploads ----------------------------------------------------------------------------------------------

    public Mono<UploadTicket> createUpload(CreateUploadRequest request) {
        return requestResponse(Routes.UPLOADS_CREATE, request, UploadTicket.class);
    }

    public Mono<UploadInfo> upload(String id) {
        return requestResponse(Routes.of(Routes.UPLOAD, id), null, UploadInfo.class);
    }

    public Flux<UploadInfo> uploads() {
        return requestStream(Routes.UPLOADS_LIST, null, UploadInfo.class);
    }

    public Mono<UploadInfo> pause(String id) {
        return requestResponse(Routes.of(Routes.UPLOAD_PAUSE, id), null, UploadInfo.class);
    }

    public Mono<UploadInfo> resume(String id) {
        return requestResponse(Routes.of(Routes.UPLOAD_RESUME, id), null, UploadInfo.class);
    }

    /** Caps the upload's rate in bytes per second (null or 0: no cap); the server paces its credit. */
    public Mono<UploadInfo> limit(String id, Long bytesPerSecond) {
        return requestResponse(Routes.of(Routes.UPLOAD_LIMIT, id), new RateLimit(bytesPerSecond), UploadInfo.class);
    }

    /** Samples of the upload's flow control, several per second, until cancelled. */
    public Flux<UploadTelemetry> telemetry(String id) {
        return requestStream(Routes.of(Routes.UPLOAD_TELEMETRY, id), null, UploadTelemetry.class);
    }

    public Mono<UploadInfo> cancel(String id) {
        return requestResponse(Routes.of(Routes.UPLOAD_CANCEL, id), null, UploadInfo.class);
    }

    /**
     * Opens the write channel of an upload: {@code data} is sent from {@code offset} as fast as the server grants
     * credit (its request-n; a paused upload simply is not asked for more). Each element becomes one payload, so
     * elements must not exceed the ticket's {@code maxChunkBytes}.
     */
    public Flux<UploadEvent> write(String id, long offset, Flux<ByteBuffer> data) {
        Payload first = payload(Routes.of(Routes.UPLOAD_WRITE, id), new WriteStart(offset));
        Flux<Payload> payloads = Flux.concat(Mono.just(first),
                data.map(bytes -> ByteBufPayload.create(Unpooled.wrappedBuffer(bytes))));
        return rsocket.flatMapMany(r -> r.requestChannel(payloads))
                .map(p -> decode(p, UploadEvent.class))
                .onErrorMap(RelayClient::translate);
    }

    // ---- files ------------------------------------------------------------------------------------------------

    public Flux<FileInfo> files() {
        return requestStream(Routes.FILES_LIST, null, FileInfo.class);
    }

    public Mono<FileInfo> file(String id) {
        return requestResponse(Routes.of(Routes.FILE, id), null, FileInfo.class);
    }

    /** The file's bytes from {@code offset}; reading follows this Flux's demand (stop requesting to pause). */
    public Flux<ByteBuffer> read(String id, long offset) {
        return readPayloads(id, offset)
                .map(p -> {
                    try {
                        ByteBuffer copy = ByteBuffer.allocate(p.data().readableBytes());
                        p.data().readBytes(copy);
                        return copy.flip();
                    } finally {
                        p.release();
                    }
                });
    }

    /**
     * {@link #read} as the payloads themselves, which the subscriber must release: a caller that only passes the
     * bytes on (to a file) saves the copy into a heap buffer, and the copy the JDK would make from it into a direct
     * one for the write.
     */
    Flux<Payload> readPayloads(String id, long offset) {
        return rsocket.flatMapMany(r -> r.requestStream(payload(Routes.of(Routes.FILE_READ, id),
                        new ReadRequest(offset))))
                .onErrorMap(RelayClient::translate);
    }

    // ---- users, chat and events -------------------------------------------------------------------------------

    public Mono<UserInfo> me() {
        return requestResponse(Routes.USERS_ME, null, UserInfo.class);
    }

    public Flux<UserInfo> users() {
        return requestStream(Routes.USERS_LIST, null, UserInfo.class);
    }

    public Flux<UserInfo> searchUsers(String query) {
        return requestStream(Routes.USERS_SEARCH, new UserQuery(query, null), UserInfo.class);
    }

    /**
     * Asks that this connection's event streams get the presence of {@code userIds} (at most 500; replaces what it
     * watched before; conversation peers come anyway); answers their current state. The set belongs to the
     * connection: after a reconnect, watch again.
     */
    public Mono<List<UserInfo>> watchPresence(List<String> userIds) {
        return requestResponse(Routes.PRESENCE_WATCH, new PresenceWatch(userIds), PresenceState.class)
                .map(PresenceState::users);
    }

    public Mono<UserInfo> updateProfile(String displayName) {
        return requestResponse(Routes.PROFILE_UPDATE, new ProfileUpdate(displayName), UserInfo.class);
    }

    public Flux<Conversation> conversations() {
        return requestStream(Routes.CHAT_LIST, null, Conversation.class);
    }

    /** Sends a text message to the user with id {@code userId}. */
    public Mono<ChatMessage> sendText(String userId, String text) {
        return requestResponse(Routes.chat(Routes.CHAT_SEND, userId), new SendText(text), ChatMessage.class);
    }

    /** Messages with {@code userId} older than message {@code before} (null: the newest), newest first. */
    public Flux<ChatMessage> history(String userId, Long before, Integer limit) {
        return requestStream(Routes.chat(Routes.CHAT_HISTORY, userId), new HistoryRequest(before, limit),
                ChatMessage.class);
    }

    public Mono<ReadMarker> markRead(String userId, long messageId) {
        return requestResponse(Routes.chat(Routes.CHAT_READ, userId), new ReadMarker(null, null, messageId, 0),
                ReadMarker.class);
    }

    public Mono<ChatMessage> deleteMessage(String userId, long messageId) {
        return requestResponse(Routes.chat(Routes.CHAT_DELETE, userId), new DeleteMessage(messageId),
                ChatMessage.class);
    }

    /** The live event stream; with {@code since}, the durable events after it are replayed first. */
    public Flux<Event> events(Long since) {
        return requestStream(Routes.EVENTS, new EventsRequest(since), Event.class);
    }

    public Flux<UserInfo> adminUsers() {
        return requestStream(Routes.ADMIN_USERS, null, UserInfo.class);
    }

    public Mono<UserInfo> disableUser(String userId) {
        return requestResponse(Routes.of(Routes.ADMIN_DISABLE, userId), null, UserInfo.class);
    }

    /** Administrators only: a code that admits one registration (registration mode {@code invite}). */
    public Mono<Invite> createInvite() {
        return requestResponse(Routes.ADMIN_CREATE_INVITE, null, Invite.class);
    }

    public Mono<UserInfo> enableUser(String userId) {
        return requestResponse(Routes.of(Routes.ADMIN_ENABLE, userId), null, UserInfo.class);
    }

    public Mono<Void> deleteFile(String fileId) {
        return rsocket.flatMap(r -> r.requestResponse(payload(Routes.of(Routes.ADMIN_DELETE_FILE, fileId), null)))
                .doOnNext(Payload::release)
                .onErrorMap(RelayClient::translate)
                .then();
    }

    /** The underlying connection, for callers that speak the protocol themselves. */
    public Mono<RSocket> rsocket() {
        return rsocket;
    }

    @Override
    public void close() {
        RSocket r = current;
        if (r != null) {
            r.dispose();
        }
    }

    // ---- encoding ---------------------------------------------------------------------------------------------

    private <T> Mono<T> requestResponse(String route, Object body, Class<T> type) {
        return rsocket.flatMap(r -> r.requestResponse(payload(route, body)))
                .map(p -> decode(p, type))
                .onErrorMap(RelayClient::translate);
    }

    private <T> Flux<T> requestStream(String route, Object body, Class<T> type) {
        return rsocket.flatMapMany(r -> r.requestStream(payload(route, body)))
                .map(p -> decode(p, type))
                .onErrorMap(RelayClient::translate);
    }

    /** A request payload: JSON data (if any) and composite metadata holding the route. */
    public static Payload payload(String route, Object body) {
        ByteBuf data = body == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(Json.write(body));
        return ByteBufPayload.create(data, routeMetadata(route));
    }

    public static ByteBuf routeMetadata(String route) {
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        CompositeByteBuf metadata = alloc.compositeBuffer();
        ByteBuf routing = TaggingMetadataCodec.createRoutingMetadata(alloc, List.of(route)).getContent();
        CompositeMetadataCodec.encodeAndAddMetadata(metadata, alloc, WellKnownMimeType.MESSAGE_RSOCKET_ROUTING,
                routing);
        return metadata;
    }

    public static ByteBuf bearer(String token) {
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        CompositeByteBuf metadata = alloc.compositeBuffer();
        CompositeMetadataCodec.encodeAndAddMetadata(metadata, alloc,
                WellKnownMimeType.MESSAGE_RSOCKET_AUTHENTICATION,
                AuthMetadataCodec.encodeBearerMetadata(alloc, token.toCharArray()));
        return metadata;
    }

    private static <T> T decode(Payload payload, Class<T> type) {
        try {
            return Json.read(ByteBufUtil.getBytes(payload.data()), type);
        } finally {
            payload.release();
        }
    }

    /** Turns a coded error from the server into a {@link RelayException}; other failures pass unchanged. */
    static Throwable translate(Throwable e) {
        if (e instanceof ApplicationErrorException || e instanceof RejectedSetupException) {
            String message = e.getMessage();
            if (message != null && message.startsWith("{")) {
                try {
                    ErrorBody body = Json.read(message.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                            ErrorBody.class);
                    return new RelayException(body.code(), body.message(), body.offset(), e);
                } catch (RuntimeException ignored) {
                    // Not one of ours: report it as it came.
                }
            }
            if (e instanceof RejectedSetupException) {
                return new RelayException(ErrorCode.UNAUTHENTICATED, String.valueOf(message), null, e);
            }
        }
        return e;
    }
}
