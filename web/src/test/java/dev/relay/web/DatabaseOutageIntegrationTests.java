package dev.relay.web;

import dev.relay.api.UploadState;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import dev.relay.embedded.EmbeddedMariaDb;
import dev.relay.web.support.ServiceIntegrationTest;
import dev.relay.web.support.WatchedWrite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
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
        OVERRIDES.put("spring.r2dbc.url", database::r2dbcUrl);
        OVERRIDES.put("spring.flyway.url", database::jdbcUrl);
        OVERRIDES.put("spring.r2dbc.username", database::user);
        OVERRIDES.put("spring.flyway.user", database::user);
        OVERRIDES.put("spring.r2dbc.password", database::password);
        OVERRIDES.put("spring.flyway.password", database::password);
        // A marker of our own, so this class's context is not shared with the others'.
        registry.add("relay.test.own-database", database::r2dbcUrl);
    }

    @AfterAll
    static void stopDatabase() {
        OVERRIDES.clear();
        database.stop();
    }

    @Value("${spring.r2dbc.url}")
    String r2dbcUrl;

    @Test
    void anUploadWaitsOutADatabaseOutageAndCompletes() throws Exception {
        assertThat(r2dbcUrl).as("the service uses this test's own database").isEqualTo(database.r2dbcUrl());
        RelayClient client = client(newUser());
        Path file = randomFile(8 * PART + 3333, 71);
        UploadTicket ticket = client.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        // Capped so that the outage begins mid-upload: on loopback the whole file would be sent before it does.
        client.limit(ticket.id(), 4_000_000L).block(TIMEOUT);
        WatchedWrite write = WatchedWrite.start(client, ticket.id(), file, CHUNK);
        write.awaitDurable(PART, TIMEOUT);

        database.stop();
        try {
            Thread.sleep(4000);
            long stalledAt = write.sent();
            Thread.sleep(2000);
            assertThat(write.sent()).as("no credit while the database is down").isEqualTo(stalledAt);
            // No part is received while two wait for their records: what the client sent beyond the durable offset
            // stays within two parts and the window, well before the end of the file.
            assertThat(stalledAt).as("stalled before the end").isLessThan(Files.size(file));
            // Telemetry comes from the session itself, so it answers while the database is down.
            long durable = client.telemetry(ticket.id()).blockFirst(TIMEOUT).offset();
            assertThat(stalledAt - durable).as("bytes beyond the durable offset")
                    .isLessThanOrEqualTo(2 * PART + WINDOW);
            assertThat(write.errors()).as("the client sees a pause, not a failure").isEmpty();
        } finally {
            database.start();
        }
        client.limit(ticket.id(), null).block(TIMEOUT);

        UploadEvent done = write.awaitCompleted(TIMEOUT);
        assertThat(done.sha256()).isEqualTo(FileTransfers.sha256(file));
        assertThat(client.upload(ticket.id()).block(TIMEOUT).state()).isEqualTo(UploadState.COMPLETED);
        assertThat(write.sent()).as("nothing sent twice").isEqualTo(Files.size(file));
    }
}
