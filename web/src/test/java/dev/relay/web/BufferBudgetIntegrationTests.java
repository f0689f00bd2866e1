package dev.relay.web;

import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import dev.relay.streaming.upload.BufferBudget;
import dev.relay.streaming.upload.UploadService;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node's buffer budget through the real service: room for two 5 MiB part buffers, three clients uploading at once.
 * The third client's credit waits (a pause to it) until another upload gives its memory back, and every upload
 * completes with its bytes; the memory claimed never exceeds the budget.
 */
@TestPropertySource(properties = {"relay.transfer.preferred-part-size=5MB", "relay.transfer.buffer-budget=10MB"})
class BufferBudgetIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @Autowired
    UploadService uploads;

    @Test
    void uploadsPastTheBudgetWaitForMemoryAndAllComplete() throws Exception {
        BufferBudget budget = uploads.bufferBudget();
        assertThat(budget.limit()).isEqualTo(2 * PART);
        long waitsBefore = budget.waits();
        AtomicLong mostUsed = new AtomicLong();
        Disposable sampling = Flux.interval(Duration.ofMillis(2))
                .subscribe(t -> mostUsed.accumulateAndGet(budget.used(), Math::max));

        List<Mono<List<UploadEvent>>> writes = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                RelayClient client = client(newUser());
                Path file = randomFile(2 * PART + 3 * CHUNK + i, 400 + i);
                files.add(file);
                UploadTicket ticket = client.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
                writes.add(client.write(ticket.id(), 0, FileTransfers.read(file, 0, CHUNK)).collectList());
            }
            // All three at once, results in order.
            List<List<UploadEvent>> results = Flux.mergeSequential(writes).collectList().block(TIMEOUT);

            for (int i = 0; i < 3; i++) {
                UploadEvent last = results.get(i).get(results.get(i).size() - 1);
                assertThat(last.type()).isEqualTo(UploadEvent.Type.COMPLETED);
                assertThat(last.sha256()).isEqualTo(FileTransfers.sha256(files.get(i)));
            }
        } finally {
            sampling.dispose();
        }
        assertThat(mostUsed.get()).as("memory claimed at most").isPositive().isLessThanOrEqualTo(2 * PART);
        assertThat(budget.waits() - waitsBefore).as("credit waits for memory").isPositive();
        Mono.delay(Duration.ofMillis(20)).repeat().takeUntil(t -> budget.used() == 0).blockLast(TIMEOUT);
    }
}
