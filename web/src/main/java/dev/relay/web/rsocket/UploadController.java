package dev.relay.web.rsocket;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.api.ErrorCode;
import dev.relay.api.Routes;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.RateLimit;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTelemetry;
import dev.relay.api.wire.UploadTicket;
import dev.relay.api.wire.WriteStart;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.chat.ChatService;
import dev.relay.streaming.upload.Chunk;
import dev.relay.streaming.upload.UploadService;
import dev.relay.web.security.CurrentUser;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.messaging.handler.annotation.DestinationVariable;
import org.springframework.messaging.handler.annotation.MessageMapping;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.stereotype.Controller;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;

/** The upload routes (docs/protocol.md). Thin: authentication in, engine call, wire messages out. */
@Controller
class UploadController {

    private static final Duration TELEMETRY_INTERVAL = Duration.ofMillis(200);

    private final UploadService uploads;
    private final ChatService chat;
    private final ObjectMapper json;
    private final Clock clock;

    UploadController(UploadService uploads, ChatService chat, ObjectMapper json, Clock clock) {
        this.uploads = uploads;
        this.chat = chat;
        this.json = json;
        this.clock = clock;
    }

    /** With a recipient, the upload is sent to them: its file message is created with it. */
    @MessageMapping(Routes.UPLOADS_CREATE)
    Mono<UploadTicket> create(@Payload(required = false) CreateUploadRequest request) {
        return CurrentUser.id().flatMap(owner -> request != null && request.recipient() != null
                ? chat.sendFile(owner, request) : uploads.create(owner, request));
    }

    @MessageMapping(Routes.UPLOADS_LIST)
    Flux<UploadInfo> list() {
        return CurrentUser.id().flatMapMany(uploads::list);
    }

    @MessageMapping(Routes.UPLOAD)
    Mono<UploadInfo> get(@DestinationVariable String id) {
        return CurrentUser.id().flatMap(owner -> uploads.get(owner, id));
    }

    @MessageMapping(Routes.UPLOAD_PAUSE)
    Mono<UploadInfo> pause(@DestinationVariable String id) {
        return CurrentUser.id().flatMap(owner -> uploads.pause(owner, id));
    }

    @MessageMapping(Routes.UPLOAD_RESUME)
    Mono<UploadInfo> resume(@DestinationVariable String id) {
        return CurrentUser.id().flatMap(owner -> uploads.resume(owner, id));
    }

    @MessageMapping(Routes.UPLOAD_LIMIT)
    Mono<UploadInfo> limit(@DestinationVariable String id, @Payload(required = false) RateLimit limit) {
        return CurrentUser.id().flatMap(owner -> uploads.limit(owner, id, limit == null ? null
                : limit.bytesPerSecond()));
    }

    @MessageMapping(Routes.UPLOAD_TELEMETRY)
    Flux<UploadTelemetry> telemetry(@DestinationVariable String id) {
        return CurrentUser.id().flatMapMany(owner -> uploads.telemetry(owner, id, TELEMETRY_INTERVAL, clock));
    }

    @MessageMapping(Routes.UPLOAD_CANCEL)
    Mono<UploadInfo> cancel(@DestinationVariable String id) {
        return CurrentUser.id().flatMap(owner -> uploads.cancel(owner, id));
    }

    /**
     * The write channel: the first payload is {@link WriteStart} JSON, the rest raw bytes. The engine's request-n
     * is relayed to the client as credit ({@link ChannelCredit}).
     */
    @MessageMapping(Routes.UPLOAD_WRITE)
    Flux<UploadEvent> write(@DestinationVariable String id, @Payload Flux<DataBuffer> payloads) {
        return CurrentUser.id().flatMapMany(owner -> Flux.deferContextual(context -> payloads.switchOnFirst(
                (first, all) -> {
                    if (!first.hasValue()) {
                        return Flux.error(new TransferException(ErrorCode.INVALID_REQUEST, "The write channel's first"
                                + " payload must be {\"offset\": n}."));
                    }
                    WriteStart start = readStart(first.get());
                    Flux<Chunk> chunks = all.skip(1).map(DataBufferChunk::new);
                    var credit = ChannelCredit.from(context);
                    if (credit.isPresent()) {
                        chunks = chunks.doOnRequest(credit.get().asRequestHook());
                    }
                    return uploads.write(owner, id, start.offset(), chunks);
                }, false)));
    }

    private WriteStart readStart(DataBuffer first) {
        try {
            byte[] bytes = new byte[first.readableByteCount()];
            first.read(bytes);
            WriteStart start = json.readValue(bytes, WriteStart.class);
            if (start.offset() < 0) {
                throw new TransferException(ErrorCode.INVALID_REQUEST, "The start offset must be 0 or more.");
            }
            return start;
        } catch (IOException e) {
            throw new TransferException(ErrorCode.INVALID_REQUEST, "The write channel's first payload must be JSON"
                    + " {\"offset\": n}: " + e.getMessage().lines().findFirst().orElse(""));
        } finally {
            DataBufferUtils.release(first);
        }
    }
}
