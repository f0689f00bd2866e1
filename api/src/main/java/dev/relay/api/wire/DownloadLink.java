package dev.relay.api.wire;

import java.time.Instant;

/**
 * {@code POST /api/files/{id}/link}: a URL (relative to the service) that downloads the file without an
 * Authorization header, with ranges, until {@code expiresAt}: for a browser's own download manager.
 */
public record DownloadLink(String url, Instant expiresAt) {
}
