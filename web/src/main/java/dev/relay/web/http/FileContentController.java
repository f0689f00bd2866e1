package dev.relay.web.http;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.ErrorBody;
import dev.relay.api.wire.FileInfo;
import dev.relay.streaming.Viewer;
import dev.relay.streaming.download.DownloadService;
import dev.relay.api.wire.DownloadLink;
import dev.relay.web.download.DownloadBuffers;
import dev.relay.web.security.CurrentUser;
import dev.relay.web.security.DownloadLinks;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpRange;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code GET /api/files/{id}/content}: the file over plain HTTP, for browsers and curl, with single-range requests
 * ({@code Range: bytes=...}, {@code If-Range}) so their own tools can resume. The body streams from S3 as the client
 * reads it, within the download window ({@link DownloadBuffers}). Authenticated by a bearer token, or by a
 * short-lived download link ({@code POST /api/files/{id}/link}) for a browser's own download manager, which cannot
 * send a header.
 */
@RestController
class FileContentController {

    private final DownloadService downloads;
    private final DownloadLinks links;

    FileContentController(DownloadService downloads, DownloadLinks links) {
        this.downloads = downloads;
        this.links = links;
    }

    /** A link for the browser's download manager: the file, without a bearer header, for a limited time. */
    @PostMapping("/api/files/{id}/link")
    Mono<DownloadLink> link(@PathVariable String id) {
        return CurrentUser.viewer()
                .flatMap(viewer -> downloads.get(viewer, id).then(links.issue(viewer.userId(), id)))
                .map(link -> new DownloadLink("/api/files/" + id + "/content?link=" + link.token(),
                        link.expiresAt()));
    }

    /**
     * With a bearer token, or with {@code ?link=} from {@link #link}, whose token {@link LinkTokenRedaction} has
     * moved to a header before anything could log it.
     */
    @GetMapping("/api/files/{id}/content")
    Mono<Void> content(@PathVariable String id,
                       @RequestHeader(value = LinkTokenRedaction.HEADER, required = false) String link,
                       @RequestHeader(value = HttpHeaders.RANGE, required = false) String rangeHeader,
                       @RequestHeader(value = HttpHeaders.IF_RANGE, required = false) String ifRange,
                       ServerHttpRequest request, ServerHttpResponse response) {
        Mono<Viewer> viewer = link != null ? links.verify(link, id, client(request)) : CurrentUser.viewer();
        return viewer.flatMap(v -> content(v, id, rangeHeader, ifRange, response));
    }

    /**
     * The address a link is bound to: the peer's, which is the client's own only when it connects directly, or when
     * {@code server.forward-headers-strategy} takes it from a trusted proxy's X-Forwarded-For.
     */
    private static String client(ServerHttpRequest request) {
        InetSocketAddress peer = request.getRemoteAddress();
        if (peer == null) {
            return "unknown";
        }
        return peer.getAddress() != null ? peer.getAddress().getHostAddress() : peer.getHostString();
    }

    private Mono<Void> content(Viewer viewer, String id, String rangeHeader, String ifRange,
                               ServerHttpResponse response) {
        return downloads.get(viewer, id).flatMap(file -> {
            String etag = "\"" + file.sha256() + "\"";
            HttpHeaders headers = response.getHeaders();
            ServedContent.apply(headers, file.contentType());
            headers.set(HttpHeaders.ACCEPT_RANGES, "bytes");
            headers.setETag(etag);
            long size = file.size();

            List<HttpRange> ranges = rangeHeader == null || (ifRange != null && !ifRange.equals(etag))
                    ? List.of() : parse(rangeHeader);
            long start = 0;
            long length = size;
            if (ranges.size() == 1) {
                HttpRange range = ranges.get(0);
                long end;
                try {
                    start = range.getRangeStart(size);
                    end = range.getRangeEnd(size);
                } catch (IllegalArgumentException e) {
                    start = size;
                    end = size - 1;
                }
                if (size == 0 || start >= size || end < start) {
                    headers.set(HttpHeaders.CONTENT_RANGE, "bytes */" + size);
                    return JsonErrors.write(response, HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                            ErrorBody.of(ErrorCode.INVALID_REQUEST, "The range " + rangeHeader
                                    + " is outside the file's " + size + " bytes."));
                }
                length = end - start + 1;
                response.setStatusCode(HttpStatus.PARTIAL_CONTENT);
                headers.set(HttpHeaders.CONTENT_RANGE, "bytes " + start + "-" + end + "/" + size);
            } else {
                // No range, an If-Range that no longer matches, or several ranges: the whole file.
                response.setStatusCode(HttpStatus.OK);
            }
            headers.setContentDisposition(ContentDisposition.attachment()
                    .filename(file.name(), StandardCharsets.UTF_8).build());
            headers.setContentLength(length);
            return response.writeWith(body(viewer, file, start, length));
        });
    }

    private Flux<DataBuffer> body(Viewer viewer, FileInfo file, long offset, long length) {
        return DownloadBuffers.of(downloads.read(viewer, file.id(), offset, length));
    }

    private static List<HttpRange> parse(String header) {
        try {
            return HttpRange.parseRanges(header);
        } catch (IllegalArgumentException e) {
            return List.of();
        }
    }
}
