package dev.relay.streaming.upload;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.TransferSettings;
import dev.relay.streaming.support.VisibleNames;

import java.util.Locale;
import java.util.regex.Pattern;

/** Validation of {@code uploads.create} requests: everything is checked before anything is stored. */
final class UploadRequests {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Pattern CONTENT_TYPE = Pattern.compile("[\\w.+-]+/[\\w.+-]+(\\s*;.*)?");
    static final String DEFAULT_CONTENT_TYPE = "application/octet-stream";

    private UploadRequests() {
    }

    /** The request with its name trimmed, its digest lower-cased and its content type defaulted. */
    static CreateUploadRequest validate(CreateUploadRequest request, TransferSettings settings) {
        if (request == null) {
            throw invalid("The request body is missing.");
        }
        String name = request.name() == null ? "" : request.name().strip();
        if (name.isEmpty()) {
            throw invalid("A file name is required.");
        }
        if (name.length() > 255) {
            throw invalid("The file name is longer than 255 characters.");
        }
        if (name.indexOf('/') >= 0 || name.indexOf('\\') >= 0 || name.equals(".") || name.equals("..")) {
            throw invalid("The file name must be a plain name, without '/' or '\\\\' (got \"" + name + "\").");
        }
        String unseen = VisibleNames.problem("The file name", name);
        if (unseen != null) {
            throw invalid(unseen);
        }
        if (request.size() < 0) {
            throw invalid("The size must be 0 or more bytes.");
        }
        if (request.size() > settings.maxFileBytes()) {
            throw new TransferException(ErrorCode.FILE_TOO_LARGE, "The file is " + request.size()
                    + " bytes; the largest accepted is " + settings.maxFileBytes() + " bytes.");
        }
        String sha256 = request.sha256();
        if (sha256 != null && !sha256.isEmpty()) {
            if (!SHA256.matcher(sha256).matches()) {
                throw invalid("sha256 must be 64 hexadecimal characters.");
            }
            sha256 = sha256.toLowerCase(Locale.ROOT);
        } else {
            sha256 = null;
        }
        String contentType = request.contentType() == null || request.contentType().isBlank()
                ? DEFAULT_CONTENT_TYPE : request.contentType().strip();
        if (contentType.length() > 255 || !CONTENT_TYPE.matcher(contentType).matches()) {
            throw invalid("contentType must be a MIME type such as text/plain.");
        }
        return new CreateUploadRequest(name, request.size(), contentType, sha256);
    }

    private static TransferException invalid(String message) {
        return new TransferException(ErrorCode.INVALID_REQUEST, message);
    }
}
