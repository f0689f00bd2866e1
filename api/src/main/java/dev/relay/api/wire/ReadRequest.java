package dev.relay.api.wire;

/** {@code files.{id}.read} request: stream the file's bytes from {@code offset} to its end. */
public record ReadRequest(long offset) {
}
