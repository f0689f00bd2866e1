package dev.relay.streaming.port;

/**
 * A write channel's claim on an upload ({@link UploadRepository#claimWriter}): its epoch, and the S3 part numbers
 * it may use, {@code firstPartNumber} through {@code partNumbersThrough}, none of which any earlier writer could have
 * used. Recording a part extends the range; a writer never sends a part with a number outside it.
 */
public record WriterClaim(long epoch, int firstPartNumber, int partNumbersThrough) {
}
