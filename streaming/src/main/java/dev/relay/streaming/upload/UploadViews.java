package dev.relay.streaming.upload;

import dev.relay.api.wire.FileInfo;
import dev.relay.api.wire.UploadInfo;
import dev.relay.streaming.port.UploadRecord;

/** Maps persisted records to wire messages. */
public final class UploadViews {

    private UploadViews() {
    }

    public static UploadInfo info(UploadRecord u) {
        return new UploadInfo(u.id(), u.name(), u.size(), u.contentType(), u.state(), u.durableOffset(), u.partSize(),
                u.expectedSha256(), u.sha256(), u.error(), u.createdAt(), u.updatedAt());
    }

    public static FileInfo file(UploadRecord u) {
        return new FileInfo(u.id(), u.name(), u.size(), u.contentType(), u.sha256(), u.createdAt());
    }
}
