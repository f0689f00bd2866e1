package dev.relay.web.http;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.ErrorBody;
import dev.relay.api.wire.FileInfo;
import dev.relay.streaming.download.DownloadService;
import dev.relay.web.security.CurrentUser;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpRange;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code GET /api/files/{id}/content}: the file over plain HTTP, for browsers and curl, with single-range requests
 * ({@code Range: bytes=...}, {@code If-Range}) so their own tools can resume. The body streams from S3 as the client
 * reads it.
 */
@RestController
class FileContentController {

    private static final DefaultDataBufferFactory BUFFERS = DefaultDataBufferFactory.sharedInstance;

    private final DownloadService downloads;

    FileContentController(DownloadService downloads) {
        this.downloads = downloads;
    }

    @GetMapping("/api/files/{id}/content")
    Mono<ResponseEntity<?>> content(@PathVariable String id,
                                    @RequestHeader(value = HttpHeaders.RANGE, required = false) String rangeHeader,
                                    @RequestHeader(value = HttpHeaders.IF_RANGE, required = false) String ifRange) {
        return CurrentUser.id().flatMap(owner -> downloads.get(owner, id).map(file -> {
            String etag = "\"" + file.sha256() + "\"";
            HttpHeaders headers = new HttpHeaders();
            headers.setContentType(mediaType(file));
            headers.setContentDisposition(ContentDisposition.attachment()
                    .filename(file.name(), StandardCharsets.UTF_8).build());
            headers.setETag(etag);
            headers.set(HttpHeaders.ACCEPT_RANGES, "bytes");
            long size = file.size();

            List<HttpRange> ranges = rangeHeader == null || (ifRange != null && !ifRange.equals(etag))
                    ? List.of() : parse(rangeHeader);
            if (ranges.size() != 1) {
                // No range, an If-Range that no longer matches, or several ranges: send the whole file.
                headers.setContentLength(size);
                return ResponseEntity.ok().headers(headers).body(body(owner, file, 0, size));
            }
            HttpRange range = ranges.get(0);
            long start;
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
                headers.setContentType(MediaType.APPLICATION_JSON);
                headers.remove(HttpHeaders.CONTENT_DISPOSITION);
                return ResponseEntity.status(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE).headers(headers)
                        .body(ErrorBody.of(ErrorCode.INVALID_REQUEST, "The range " + rangeHeader
                                + " is outside the file's " + size + " bytes."));
            }
            long length = end - start + 1;
            headers.set(HttpHeaders.CONTENT_RANGE, "bytes " + start + "-" + end + "/" + size);
            headers.setContentLength(length);
            return ResponseEntity.status(HttpStatus.PARTIAL_CONTENT).headers(headers)
                    .body(body(owner, file, start, length));
        }));
    }

    private Flux<DataBuffer> body(String owner, FileInfo file, long offset, long length) {
        return downloads.read(owner, file.id(), offset, length).map(BUFFERS::wrap);
    }

    private static List<HttpRange> parse(String header) {
        try {
            return HttpRange.parseRanges(header);
        } catch (IllegalArgumentException e) {
            return List.of();
        }
    }

    private static MediaType mediaType(FileInfo file) {
        try {
            return MediaType.parseMediaType(file.contentType());
        } catch (RuntimeException e) {
            return MediaType.APPLICATION_OCTET_STREAM;
        }
    }
}
