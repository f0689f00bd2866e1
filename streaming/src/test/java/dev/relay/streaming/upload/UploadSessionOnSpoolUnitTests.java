package dev.relay.streaming.upload;

import java.time.Duration;

/**
 * Every session test again with parts in spool files ({@link PartSpool}): staging a tail from a part the closing
 * channel already dropped, sending a part whole after its streamed request failed, resuming from a loaded tail.
 */
class UploadSessionOnSpoolUnitTests extends UploadSessionUnitTests {

    @Override
    SessionHarness harness(Duration storageRetry, boolean receiveAhead) {
        return SessionHarness.spooled(storageRetry, receiveAhead);
    }
}
