package dev.relay.streaming.port;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The read side of uploads: what a user may list and see. Nothing here changes an upload. */
public interface FileCatalog {

    /** The owner's uploads, newest first. */
    Flux<UploadRecord> listByOwner(String ownerId);

    /** The upload if {@code userId} sent or receives it (or {@code admin}); empty otherwise. */
    Mono<UploadRecord> findVisible(String id, String userId, boolean admin);

    /** Completed files the user sent or received, newest first. */
    Flux<UploadRecord> listFiles(String userId);
}
