package dev.relay.web;

import dev.relay.api.UploadState;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadTelemetry;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;
import reactor.core.Disposable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The defaults' shape, scaled down: parts filled to half the part size. The announced part size bounds what may be
 * received and not yet durable; the parts themselves have the preferred length.
 */
@TestPropertySource(properties = {"relay.transfer.part-size=10MB", "relay.transfer.preferred-part-size=5MB"})
class PartSizeIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long PART_SIZE = 2 * PART;

    @Test
    void partsHaveThePreferredLengthAndWhatIsNotYetDurableStaysWithinThePartSize() throws Exception {
        RelayClient client = client(newUser());
        Path file = randomFile(6 * PART + 12_345, 81);
        long size = Files.size(file);
        UploadTicket ticket = client.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        assertThat(ticket.partSize()).as("announced: the largest part, what a crash costs").isEqualTo(PART_SIZE);
        List<UploadTelemetry> samples = new CopyOnWriteArrayList<>();
        Disposable watching = client.telemetry(ticket.id()).subscribe(samples::add);
        List<UploadEvent> events;
        try {
            events = client.write(ticket.id(), 0, FileTransfers.read(file, 0, CHUNK)).collectList().block(TIMEOUT);
        } finally {
            watching.dispose();
        }

        UploadEvent last = events.get(events.size() - 1);
        assertThat(last.type()).isEqualTo(UploadEvent.Type.COMPLETED);
        assertThat(last.sha256()).isEqualTo(FileTransfers.sha256(file));
        List<Long> offsets = events.stream().filter(e -> e.type() == UploadEvent.Type.PROGRESS)
                .map(UploadEvent::offset).filter(o -> o > 0 && o < size).distinct().toList();
        assertThat(offsets).as("the durable offset advances by whole parts").isNotEmpty()
                .allSatisfy(o -> assertThat(o % PART).isZero());
        assertThat(offsets).as("parts of the preferred length, not of the part size")
                .anySatisfy(o -> assertThat(o % PART_SIZE).isEqualTo(PART));
        assertThat(events).as("received and not yet durable, as reported")
                .allSatisfy(e -> assertThat(e.received() - e.offset()).isLessThanOrEqualTo(PART_SIZE));
        assertThat(samples).as("telemetry while it ran").isNotEmpty()
                .allSatisfy(t -> assertThat(t.bufferedBytes()).isLessThanOrEqualTo(PART_SIZE));
        assertThat(client.upload(ticket.id()).block(TIMEOUT).state()).isEqualTo(UploadState.COMPLETED);
    }
}
