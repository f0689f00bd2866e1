package dev.relay.streaming.port;

import reactor.core.publisher.Mono;

import java.time.Instant;

/**
 * Which client holds each download link, shared by every node (a database table): a link serves the client that used
 * it first, for as long as it keeps using it.
 */
public interface DownloadLinkUses {

    /**
     * Lets {@code client} use link {@code linkId} at {@code now}: {@link Use#FIRST} if this is the link's first use
     * (the link becomes the client's until {@code usableUntil}), {@link Use#AGAIN} if the client holds it and its last
     * use allowed it until {@code now} or later (now until {@code usableUntil}), {@link Use#REFUSED} if another
     * client holds it or its holder waited too long. Atomic across nodes: of two first uses at once, one wins.
     *
     * @param linkExpiresAt when the link itself expires, after which its row can be pruned
     */
    Mono<Use> use(String linkId, String client, Instant now, Instant usableUntil, Instant linkExpiresAt);

    /** Forgets the links that expired before {@code now}; emits how many. */
    Mono<Long> pruneExpired(Instant now);

    enum Use { FIRST, AGAIN, REFUSED }
}
