package dev.relay.web;

import dev.relay.api.UploadState;
import dev.relay.api.client.FileTransfers;
import dev.relay.api.client.RelayAuth;
import dev.relay.api.client.RelayClient;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadTicket;
import dev.relay.infra.embedded.EmbeddedMariaDb;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.core.publisher.Sinks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The database goes away mid-upload and comes back: parts stored meanwhile cannot be recorded, so credit stops (the
 * client sees a pause), and the upload completes once the database answers again. The service gets a MariaDB of
 * its own here, since the shared one cannot be stopped.
 */
class DatabaseOutageIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static EmbeddedMariaDb database;

    @DynamicPropertySource
    static void ownDatabase(DynamicPropertyRegistry registry) throws Exception {
        Path home = Files.createDirectories(Path.of("target", "outage-db", UUID.randomUUID().toString()));
        database = new EmbeddedMariaDb(home, 0, "relay").start();
        registry.add("spring.r2dbc.url", database::r2dbcUrl);
        registry.add("spring.flyway.url", database::jdbcUrl);
        registry.add("spring.r2dbc.username", database::user);
        registry.add("spring.flyway.user", database::user);
        registry.add("spring.r2dbc.password", database::password);
        registry.add("spring.flyway.password", database::password);
    }

    @AfterAll
    static void stopDatabase() {
        database.stop();
    }

    @Test
    void anUploadWaitsOutADatabaseOutageAndCompletes() throws Exception {
        AuthToken alice = new RelayAuth(http()).register("db" + System.nanoTime() % 1_000_000, "long enough pw")
                .block(TIMEOUT);
        RelayClient client = client(alice);
        Path file = randomFile(4 * PART + 3333, 71);
        UploadTicket ticket = client.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        AtomicLong sent = new AtomicLong();
        Sinks.One<Long> onePartStored = Sinks.one();
        Sinks.One<UploadEvent> completed = Sinks.one();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        client.write(ticket.id(), 0, FileTransfers.read(file, 0, CHUNK).doOnNext(b -> sent.addAndGet(b.remaining())))
                .subscribe(e -> {
                    if (e.offset() >= PART) {
                        onePartStored.tryEmitValue(e.offset());
                    }
                    if (e.type() == UploadEvent.Type.COMPLETED) {
                        completed.tryEmitValue(e);
                    }
                }, errors::add);
        onePartStored.asMono().block(TIMEOUT);

        database.stop();
        try {
            Thread.sleep(4000);
            long stalledAt = sent.get();
            Thread.sleep(2000);
            assertThat(sent.get()).as("no credit while the database is down").isEqualTo(stalledAt);
            assertThat(errors).as("the client sees a pause, not a failure").isEmpty();
        } finally {
            database.start();
        }

        UploadEvent done = completed.asMono().block(TIMEOUT);
        assertThat(done.sha256()).isEqualTo(FileTransfers.sha256(file));
        assertThat(client.upload(ticket.id()).block(TIMEOUT).state()).isEqualTo(UploadState.COMPLETED);
        assertThat(sent.get()).as("nothing sent twice").isEqualTo(Files.size(file));
    }
}
