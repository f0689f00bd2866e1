package dev.relay.streaming.port;

import reactor.core.publisher.Mono;

/**
 * A capability of an {@link ObjectStore}: sending a part while its bytes are still arriving. The engine uses it when
 * the store has it; otherwise it uploads each part once it has all of it.
 */
public interface StreamedPartUpload {

    /**
     * Stores part {@code partNumber} from its bytes as they arrive: the request starts now and sends what
     * {@link PartFeed#advance} makes available; returns the ETag once the store has the whole part. Fails if the feed
     * is abandoned or waits too long for bytes; the engine then still has the part and sends it whole.
     */
    Mono<String> uploadPart(String key, String uploadId, int partNumber, PartFeed feed);
}
