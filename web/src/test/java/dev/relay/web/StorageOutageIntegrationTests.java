package dev.relay.web;

import dev.relay.api.UploadState;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import dev.relay.infra.testing.TestServices;
import dev.relay.web.support.ServiceIntegrationTest;
import dev.relay.web.support.WatchedWrite;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** S3 goes away mid-upload and comes back: the client sees a pause (no credit), not a failure. */
class StorageOutageIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @Test
    void anUploadWaitsOutAnS3OutageAndCompletes() throws Exception {
        RelayClient client = client(newUser());
        Path file = randomFile(4 * PART + 1000, 61);
        UploadTicket ticket = client.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        WatchedWrite write = WatchedWrite.start(client, ticket.id(), file, CHUNK);
        write.awaitDurable(PART, TIMEOUT);

        TestServices.get().stopS3();
        try {
            Thread.sleep(4000);
            long stalledAt = write.sent();
            Thread.sleep(2000);
            assertThat(write.sent()).as("no credit while S3 is down, once the buffers are full").isEqualTo(stalledAt);
            assertThat(stalledAt).isLessThan(Files.size(file));
            assertThat(write.errors()).as("the client sees a pause, not a failure").isEmpty();
        } finally {
            TestServices.get().startS3();
        }

        UploadEvent done = write.awaitCompleted(TIMEOUT);
        assertThat(done.sha256()).isEqualTo(FileTransfers.sha256(file));
        UploadInfo info = client.upload(ticket.id()).block(TIMEOUT);
        assertThat(info.state()).isEqualTo(UploadState.COMPLETED);
        assertThat(write.sent()).as("nothing sent twice").isEqualTo(Files.size(file));
    }
}
