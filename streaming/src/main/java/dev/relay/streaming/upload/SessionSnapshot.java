package dev.relay.streaming.upload;

import dev.relay.api.UploadState;

/** A consistent view of one write session's flow control, taken on its executor (the telemetry route's samples). */
record SessionSnapshot(UploadState state, boolean open, long size, long received, long offset, long creditsGranted,
                       long outstandingCredits, long inFlightBytes, long bufferedBytes, long bufferCapacity,
                       long windowBytes, long limit) {
}
