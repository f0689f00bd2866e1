package dev.relay.web;

import dev.relay.api.UploadState;
import dev.relay.api.client.FileTransfers;
import dev.relay.api.client.RelayClient;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.infra.testing.TestServices;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Sinks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** S3 goes away mid-upload and comes back: the client sees a pause (no credit), not a failure. */
class StorageOutageIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @Test
    void anUploadWaitsOutAnS3OutageAndCompletes() throws Exception {
        RelayClient client = client(newUser());
        Path file = randomFile(4 * PART + 1000, 61);
        UploadTicket ticket = client.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        AtomicLong sent = new AtomicLong();
        Sinks.One<Long> onePartStored = Sinks.one();
        List<UploadEvent> events = new CopyOnWriteArrayList<>();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        Sinks.One<UploadEvent> completed = Sinks.one();
        client.write(ticket.id(), 0, FileTransfers.read(file, 0, CHUNK).doOnNext(b -> sent.addAndGet(b.remaining())))
                .subscribe(e -> {
                    events.add(e);
                    if (e.offset() >= PART) {
                        onePartStored.tryEmitValue(e.offset());
                    }
                    if (e.type() == UploadEvent.Type.COMPLETED) {
                        completed.tryEmitValue(e);
                    }
                }, errors::add);
        onePartStored.asMono().block(TIMEOUT);

        TestServices.get().stopS3();
        try {
            Thread.sleep(4000);
            long stalledAt = sent.get();
            Thread.sleep(2000);
            assertThat(sent.get()).as("no credit while S3 is down, once the buffers are full").isEqualTo(stalledAt);
            assertThat(stalledAt).isLessThan(Files.size(file));
            assertThat(errors).as("the client sees a pause, not a failure").isEmpty();
        } finally {
            TestServices.get().startS3();
        }

        UploadEvent done = completed.asMono().block(TIMEOUT);
        assertThat(done.sha256()).isEqualTo(FileTransfers.sha256(file));
        UploadInfo info = client.upload(ticket.id()).block(TIMEOUT);
        assertThat(info.state()).isEqualTo(UploadState.COMPLETED);
        assertThat(sent.get()).as("nothing sent twice").isEqualTo(Files.size(file));
    }
}
