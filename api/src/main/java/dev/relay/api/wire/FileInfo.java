package dev.relay.api.wire;

import java.time.Instant;

/** A completed, readable file ({@code files.list}, {@code files.{id}}). */
public record FileInfo(String id, String name, long size, String contentType, String sha256, Instant createdAt) {
}
