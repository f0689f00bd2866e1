package dev.relay.streaming.port;

/** Per-user limits checked atomically with the insert of a new upload. */
public record UploadLimits(long userQuotaBytes, int maxOpenUploads) {
}
