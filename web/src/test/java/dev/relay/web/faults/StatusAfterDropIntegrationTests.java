package dev.relay.web.faults;

import dev.relay.api.UploadState;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import dev.relay.infra.testing.TcpProxy;
import dev.relay.infra.testing.TestServices;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/protocol.md, section 4.5: right after a dropped connection, {@code uploads.{id}} answers the offset the next
 * write accepts, even while the server is still staging what it received. Storage is reached through a proxy that is
 * throttled at the cut, so the staging takes seconds and the status request certainly comes while it runs.
 */
class StatusAfterDropIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static TcpProxy storage;

    @DynamicPropertySource
    static void storageThroughAProxy(DynamicPropertyRegistry registry) throws Exception {
        storage = new TcpProxy(URI.create(TestServices.get().s3Endpoint()).getPort());
        OVERRIDES.put("relay.s3.endpoint", storage::url);
        // A marker of our own, so this class's context is not shared with the others'.
        registry.add("relay.test.storage-proxy", storage::url);
    }

    @AfterAll
    static void closeProxy() throws Exception {
        OVERRIDES.clear();
        storage.close();
    }

    @Test
    void theStatusRightAfterADropIsTheOffsetTheNextWriteAccepts() throws Exception {
        AuthToken alice = newUser();
        Path file = randomFile(2L * 1024 * 1024 + 123, 53);
        try (TcpProxy link = new TcpProxy(port);
             RelayClient cut = RelayClient.connect(URI.create("ws://127.0.0.1:" + link.port() + "/rsocket"),
                     alice.token())) {
            UploadTicket ticket = cut.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
            Sinks.One<UploadEvent> halfway = Sinks.one();
            // Five chunks, then the client goes quiet: the channel is open, with 1.25 MiB received, when it drops.
            cut.write(ticket.id(), 0, FileTransfers.read(file, 0, CHUNK).take(5).concatWith(Flux.never()))
                    .filter(e -> e.received() == 5L * CHUNK)
                    .subscribe(halfway::tryEmitValue, e -> { });
            halfway.asMono().block(TIMEOUT);

            // Everything received is in the part buffer (the file is smaller than a part): the drop stages it, at
            // 512 KiB/s, for two to three seconds.
            storage.throttle(512 * 1024);
            link.cutConnections();
            RelayClient fresh = client(alice);
            long asked = System.nanoTime();
            UploadInfo status = fresh.upload(ticket.id()).block(TIMEOUT);
            System.out.printf("[faults] status after the drop: offset %d after %d ms%n", status.offset(),
                    (System.nanoTime() - asked) / 1_000_000);
            storage.throttle(0);

            assertThat(status.offset()).as("what the dropped channel received is durable").isGreaterThan(0);
            // Resume exactly where the status says, as a client that follows the document does.
            UploadEvent last = fresh.write(ticket.id(), status.offset(), FileTransfers.read(file, status.offset(),
                    CHUNK)).blockLast(TIMEOUT);
            assertThat(last.type()).isEqualTo(UploadEvent.Type.COMPLETED);
            UploadInfo done = fresh.upload(ticket.id()).block(TIMEOUT);
            assertThat(done.state()).isEqualTo(UploadState.COMPLETED);
            assertThat(done.sha256()).isEqualTo(FileTransfers.sha256(file));
        }
    }
}
