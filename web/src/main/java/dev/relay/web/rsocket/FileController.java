package dev.relay.web.rsocket;

import dev.relay.api.Routes;
import dev.relay.api.wire.FileInfo;
import dev.relay.api.wire.ReadRequest;
import dev.relay.streaming.download.DownloadService;
import dev.relay.web.download.DownloadBuffers;
import dev.relay.web.security.CurrentUser;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.messaging.handler.annotation.DestinationVariable;
import org.springframework.messaging.handler.annotation.MessageMapping;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.stereotype.Controller;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The file routes (docs/protocol.md). */
@Controller
class FileController {

    private final DownloadService downloads;

    FileController(DownloadService downloads) {
        this.downloads = downloads;
    }

    @MessageMapping(Routes.FILES_LIST)
    Flux<FileInfo> list() {
        return CurrentUser.id().flatMapMany(downloads::list);
    }

    @MessageMapping(Routes.FILE)
    Mono<FileInfo> get(@DestinationVariable String id) {
        return CurrentUser.viewer().flatMap(viewer -> downloads.get(viewer, id));
    }

    /**
     * Raw bytes from the requested offset to the end; the client's request-n paces reading from S3, within the
     * download window that the socket's progress frees (DownloadBuffers).
     */
    @MessageMapping(Routes.FILE_READ)
    Flux<DataBuffer> read(@DestinationVariable String id, @Payload(required = false) ReadRequest request) {
        long offset = request == null ? 0 : request.offset();
        return DownloadBuffers.of(CurrentUser.viewer().flatMapMany(viewer -> downloads.read(viewer, id, offset)));
    }
}
