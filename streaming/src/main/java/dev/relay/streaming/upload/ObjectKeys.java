package dev.relay.streaming.upload;

/**
 * The storage layout in the bucket: {@code files/<id>} is the file (and its multipart upload while in progress);
 * {@code staging/<id>.tail} holds the bytes received after the last full part when a write channel stopped early
 * (tusd's ".part" object does the same), so a reconnect re-sends at most the chunks that were in flight.
 */
public final class ObjectKeys {

    public static final String FILES_PREFIX = "files/";
    public static final String STAGING_PREFIX = "staging/";

    private ObjectKeys() {
    }

    public static String file(String uploadId) {
        return FILES_PREFIX + uploadId;
    }

    public static String tail(String uploadId) {
        return STAGING_PREFIX + uploadId + ".tail";
    }

    /** The upload id of a key under {@link #FILES_PREFIX}, or null. */
    public static String uploadIdOf(String fileKey) {
        return fileKey.startsWith(FILES_PREFIX) ? fileKey.substring(FILES_PREFIX.length()) : null;
    }
}
