package dev.relay.streaming.download;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.api.wire.FileInfo;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.TransferSettings;
import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.TransferRepository;
import dev.relay.streaming.port.UploadRecord;
import dev.relay.streaming.upload.UploadViews;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.nio.ByteBuffer;

/**
 * Reading completed files. Demand drives reading: a subscriber that stops requesting pauses the download, and
 * nothing more is fetched from S3 until it requests again.
 */
public final class DownloadService {

    private final TransferRepository repo;
    private final ObjectStore store;
    private final TransferSettings settings;

    public DownloadService(TransferRepository repo, ObjectStore store, TransferSettings settings) {
        this.repo = repo;
        this.store = store;
        this.settings = settings;
    }

    public Flux<FileInfo> list(String ownerId) {
        return repo.listByOwner(ownerId).filter(u -> u.state() == UploadState.COMPLETED).map(UploadViews::file);
    }

    public Mono<FileInfo> get(String ownerId, String id) {
        return completed(ownerId, id).map(UploadViews::file);
    }

    /** The bytes of {@code [offset, end)} of the file. */
    public Flux<ByteBuffer> read(String ownerId, String id, long offset) {
        return read(ownerId, id, offset, Long.MAX_VALUE);
    }

    /** The bytes of {@code [offset, min(offset + length, size))} of the file. */
    public Flux<ByteBuffer> read(String ownerId, String id, long offset, long length) {
        return completed(ownerId, id).flatMapMany(u -> {
            if (offset < 0 || offset > u.size()) {
                return Flux.error(new TransferException(ErrorCode.INVALID_REQUEST, "The offset must be between 0 and"
                        + " the file's size, " + u.size() + "; got " + offset + "."));
            }
            long count = Math.min(length, u.size() - offset);
            return count == 0 ? Flux.empty() : store.read(u.objectKey(), offset, count, settings.readChunkBytes());
        });
    }

    private Mono<UploadRecord> completed(String ownerId, String id) {
        return repo.findOwned(id, ownerId)
                .filter(u -> u.state() == UploadState.COMPLETED)
                .switchIfEmpty(Mono.error(() -> TransferException.notFound("file", id)));
    }
}
