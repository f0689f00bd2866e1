package dev.relay.streaming.port;

/** A part stored in S3 and recorded in the database. */
public record PartRecord(int number, String etag, long size) {
}
