package dev.relay.web;

import dev.relay.api.UploadState;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.Event;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import dev.relay.web.support.EventProbe;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A sender with many uploads to one recipient: the recipient's TRANSFER events stay near 20 a second in all (each
 * transfer's interval stretches), where each transfer alone would send four a second, and every transfer still
 * reports its progress.
 */
class TransferPaceIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int UPLOADS = 10;

    @Test
    void manyTransfersToOneRecipientShareItsPaceOfProgressEvents() throws Exception {
        AuthToken alice = newUser();
        AuthToken bob = newUser();
        RelayClient sender = client(alice);
        EventProbe bobEvents = EventProbe.open(client(bob), 0L);

        List<UploadTicket> tickets = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < UPLOADS; i++) {
            Path file = randomFile(3L * 1024 * 1024 + i, 700 + i);
            files.add(file);
            UploadTicket ticket = sender.createUpload(FileTransfers.describe(file, null)
                    .withRecipient(bob.username())).block(TIMEOUT);
            sender.limit(ticket.id(), 1_000_000L).block(TIMEOUT);
            tickets.add(ticket);
        }
        Flux.range(0, UPLOADS)
                .flatMap(i -> sender.write(tickets.get(i).id(), 0, FileTransfers.read(files.get(i), 0, CHUNK)).last(),
                        UPLOADS)
                .blockLast(TIMEOUT);

        List<Event> progress = bobEvents.of(Event.Type.TRANSFER).stream()
                .filter(e -> e.transfer().state() == UploadState.ACTIVE)
                .sorted(Comparator.comparing(Event::at)).toList();
        assertThat(progress).extracting(e -> e.transfer().uploadId()).as("every transfer reports")
                .containsAll(tickets.stream().map(UploadTicket::id).toList());
        Instant first = progress.get(0).at();
        Instant last = progress.get(progress.size() - 1).at();
        double seconds = Duration.between(first, last).toMillis() / 1000.0;
        assertThat(seconds).as("the uploads ran for seconds").isGreaterThan(1.5);
        // Unpaced, ten transfers would send about 40 a second; each one's first report goes at once.
        assertThat(progress.size()).as("TRANSFER events in %.1f s", seconds)
                .isLessThanOrEqualTo((int) (25 * seconds) + UPLOADS);
    }
}
