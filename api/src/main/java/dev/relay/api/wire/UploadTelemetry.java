package dev.relay.api.wire;

import dev.relay.api.UploadState;

import java.time.Instant;

/**
 * One sample of {@code uploads.{id}.telemetry}: what the server's flow control is doing, several times a second.
 *
 * @param channelOpen        whether a write channel is open for the upload on this server; if not, only the state
 *                           and offsets are meaningful
 * @param received           bytes received so far
 * @param offset             the durable offset
 * @param creditsGranted     request-n credits granted on the current channel since it opened (cumulative: the
 *                           difference between samples is the grant rate)
 * @param outstandingCredits credits granted whose chunks have not arrived yet (0 while paused and drained)
 * @param inFlightBytes      the most bytes those credits may still bring (credits x the maximum chunk size)
 * @param bufferedBytes      bytes received and not yet durable (in the server's part buffers)
 * @param bufferCapacity     the most bytes the server holds for this upload (its part buffers)
 * @param windowBytes        the current credit window (adapted to the link's bandwidth-delay product)
 * @param bytesPerSecond     receive rate over the last sample interval
 * @param limitBytesPerSecond the rate cap set with {@code uploads.{id}.limit}, or null
 */
public record UploadTelemetry(Instant at, String uploadId, UploadState state, boolean channelOpen, long size,
                              long received, long offset, long creditsGranted, long outstandingCredits,
                              long inFlightBytes, long bufferedBytes, long bufferCapacity, long windowBytes,
                              long bytesPerSecond, Long limitBytesPerSecond) {
}
