package dev.relay.web;

import dev.relay.api.UploadState;
import dev.relay.api.client.FileTransfers;
import dev.relay.api.client.RelayClient;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadTicket;
import dev.relay.infra.embedded.EmbeddedMariaDb;
import dev.relay.web.support.ServiceIntegrationTest;
import dev.relay.web.support.WatchedWrite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

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
        RelayClient client = client(newUser());
        Path file = randomFile(4 * PART + 3333, 71);
        UploadTicket ticket = client.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        WatchedWrite write = WatchedWrite.start(client, ticket.id(), file, CHUNK);
        write.awaitDurable(PART, TIMEOUT);

        database.stop();
        try {
            Thread.sleep(4000);
            long stalledAt = write.sent();
            Thread.sleep(2000);
            assertThat(write.sent()).as("no credit while the database is down").isEqualTo(stalledAt);
            assertThat(write.errors()).as("the client sees a pause, not a failure").isEmpty();
        } finally {
            database.start();
        }

        UploadEvent done = write.awaitCompleted(TIMEOUT);
        assertThat(done.sha256()).isEqualTo(FileTransfers.sha256(file));
        assertThat(client.upload(ticket.id()).block(TIMEOUT).state()).isEqualTo(UploadState.COMPLETED);
        assertThat(write.sent()).as("nothing sent twice").isEqualTo(Files.size(file));
    }
}
