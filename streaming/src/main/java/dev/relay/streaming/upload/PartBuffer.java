package dev.relay.streaming.upload;

import dev.relay.streaming.port.PartFeed;

/** The bytes of one S3 part while it is received and stored. Touched only by its session's serial executor. */
final class PartBuffer {

    final int number;
    final long start;
    final int capacity;
    /** Allocated with the part's first byte (see {@link PartPipeline}): a channel that sends nothing holds nothing. */
    PartBytes bytes;
    int fill;
    /** The file's SHA-256 state after the part's last byte, set when it is sealed. */
    byte[] digestState;
    /** While S3 receives the part as it fills; null once that request ended (or if there is none). */
    PartFeed feed;
    /** The part's ETag, once a streamed request stored it. */
    String etag;
    /** When its last byte arrived. */
    long sealedNanos;
    /** When a streamed request returned its ETag (0: not yet, or sent whole). */
    long storedNanos;
    /** A request that was given up may still read the bytes: they are never reused. */
    boolean abandoned;
    /** Whether a request was started as the part filled (at most one per buffer). */
    boolean streamOpened;

    PartBuffer(int number, long start, int capacity) {
        this.number = number;
        this.start = start;
        this.capacity = capacity;
    }

    long room() {
        return capacity - fill;
    }

    long end() {
        return start + capacity;
    }

    /** The part's bytes will not all come: its request must fail now rather than wait. */
    void abandonStream() {
        if (feed != null) {
            feed.abandon();
            feed = null;
            abandoned = true;
        }
    }
}
