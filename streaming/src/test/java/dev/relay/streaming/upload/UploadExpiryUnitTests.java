package dev.relay.streaming.upload;

import dev.relay.api.UploadState;
import dev.relay.streaming.port.NewUpload;
import dev.relay.streaming.port.UploadLimits;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static dev.relay.streaming.upload.SessionHarness.MIB;
import static dev.relay.streaming.upload.SessionHarness.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

/** A sweep expires every idle upload, however many, reading them a page at a time. */
class UploadExpiryUnitTests {

    private final SessionHarness engine = new SessionHarness();

    @Test
    void moreIdleUploadsThanAPageAllExpireInOneSweep() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < UploadExpiry.PAGE * 2 + 7; i++) {
            String id = UUID.randomUUID().toString();
            engine.repo.create(new NewUpload(id, "owner-" + i % 50, "f.bin", 1, "application/octet-stream", null,
                    5 * MIB, ObjectKeys.file(id), null), new UploadLimits(1L << 40, 1_000)).block(TIMEOUT);
            ids.add(id);
        }
        UploadExpiry expiry = new UploadExpiry(engine.service, engine.repo, engine.store, engine.settings);

        UploadExpiry.Result result = expiry.sweep(Instant.now().plus(engine.settings.expireAfter()).plusSeconds(60))
                .block(TIMEOUT);

        assertThat(result.expired()).isEqualTo(ids.size());
        assertThat(ids).allSatisfy(id -> assertThat(engine.record(id).state()).isEqualTo(UploadState.EXPIRED));
        assertThat(expiry.sweep(Instant.now().plus(engine.settings.expireAfter()).plusSeconds(60)).block(TIMEOUT)
                .expired()).as("a second sweep finds nothing").isZero();
    }
}
