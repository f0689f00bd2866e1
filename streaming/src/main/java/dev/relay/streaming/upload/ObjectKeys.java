package dev.relay.streaming.upload;

import dev.relay.streaming.port.UploadRecord;

/**
 * The storage layout in the bucket: {@code files/<id>} is the file (and its multipart upload while in progress);
 * {@code staging/<id>.<epoch>.<start>.tail} holds the bytes from {@code start} on that a write channel of writer epoch
 * {@code epoch} received after the last full part when it stopped early (tusd's ".part" object does the same), so a
 * reconnect re-sends at most the chunks that were in flight. Naming a tail by its writer and its start means no
 * other writer, and no later stage at another start, can ever overwrite the tail the database records.
 */
public final class ObjectKeys {

    public static final String FILES_PREFIX = "files/";
    public static final String STAGING_PREFIX = "staging/";

    private ObjectKeys() {
    }

    public static String file(String uploadId) {
        return FILES_PREFIX + uploadId;
    }

    /** The tail staged from byte {@code start} by writer {@code epoch}; epoch 0 names a tail of before that scheme. */
    public static String tail(String uploadId, long epoch, long start) {
        return epoch == 0 ? STAGING_PREFIX + uploadId + ".tail"
                : STAGING_PREFIX + uploadId + "." + epoch + "." + start + ".tail";
    }

    /** The tail the upload's record names, or null if it has none. */
    public static String tail(UploadRecord upload) {
        return upload.tailBytes() == 0 ? null : tail(upload.id(), upload.tailEpoch(), upload.partsBytes());
    }

    /** The upload id of a key under {@link #FILES_PREFIX}, or null. */
    public static String uploadIdOf(String fileKey) {
        return fileKey.startsWith(FILES_PREFIX) ? fileKey.substring(FILES_PREFIX.length()) : null;
    }
}
