package dev.relay.streaming.download;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.api.wire.FileInfo;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.Viewer;
import dev.relay.streaming.port.FileCatalog;
import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.UploadRecord;
import dev.relay.streaming.upload.UploadViews;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Reading completed files, by their sender, their recipient or an administrator. Demand drives reading: a subscriber
 * that stops requesting pauses the download, and nothing more is fetched from S3 until it requests again. Whatever
 * it requests, one download holds at most {@link DownloadSettings#windowBytes()} read and not yet written
 * ({@link WindowedRead}).
 */
public final class DownloadService {

    private final FileCatalog files;
    private final ObjectStore store;
    private final DownloadSettings settings;
    private final DownloadStats stats = new DownloadStats();

    public DownloadService(FileCatalog files, ObjectStore store, DownloadSettings settings) {
        this.files = files;
        this.store = store;
        this.settings = settings;
    }

    public DownloadSettings settings() {
        return settings;
    }

    public DownloadStats stats() {
        return stats;
    }

    /** Completed files the user sent or received, newest first. */
    public Flux<FileInfo> list(String userId) {
        return files.listFiles(userId).map(UploadViews::file);
    }

    public Mono<FileInfo> get(Viewer viewer, String id) {
        return completed(viewer, id).map(UploadViews::file);
    }

    /** The bytes of {@code [offset, end)} of the file (see {@link #read(Viewer, String, long, long)}). */
    public Flux<DownloadChunk> read(Viewer viewer, String id, long offset) {
        return read(viewer, id, offset, Long.MAX_VALUE);
    }

    /**
     * The bytes of {@code [offset, min(offset + length, size))} of the file, read ahead within the download window:
     * the subscriber must call {@link DownloadChunk#written()} on every chunk once it has left (or been dropped).
     */
    public Flux<DownloadChunk> read(Viewer viewer, String id, long offset, long length) {
        return completed(viewer, id).flatMapMany(u -> {
            if (offset < 0 || offset > u.size()) {
                return Flux.error(new TransferException(ErrorCode.INVALID_REQUEST, "The offset must be between 0 and"
                        + " the file's size, " + u.size() + "; got " + offset + "."));
            }
            long count = Math.min(length, u.size() - offset);
            return count == 0 ? Flux.empty()
                    : new WindowedRead(store, u.objectKey(), offset, count, settings, stats);
        });
    }

    /** Only the sender, the recipient and administrators see a file; to anyone else it does not exist. */
    private Mono<UploadRecord> completed(Viewer viewer, String id) {
        return files.findVisible(id, viewer.userId(), viewer.admin())
                .filter(u -> u.state() == UploadState.COMPLETED)
                .switchIfEmpty(Mono.error(() -> TransferException.notFound("file", id)));
    }
}
