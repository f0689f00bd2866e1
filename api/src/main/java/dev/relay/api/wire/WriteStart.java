package dev.relay.api.wire;

/** The first payload of {@code uploads.{id}.write}: the offset the following bytes start at. */
public record WriteStart(long offset) {
}
