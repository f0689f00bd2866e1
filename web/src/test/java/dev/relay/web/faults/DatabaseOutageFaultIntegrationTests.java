package dev.relay.web.faults;

import dev.relay.embedded.EmbeddedMariaDb;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Issue #4, case 3: the database stopped and started again mid-upload. The service gets a MariaDB of its own (as in
 * DatabaseOutageIntegrationTests), since the shared one cannot be stopped.
 */
class DatabaseOutageFaultIntegrationTests extends OutageFaults {

    private static EmbeddedMariaDb database;

    @DynamicPropertySource
    static void ownDatabase(DynamicPropertyRegistry registry) throws Exception {
        Path home = Files.createDirectories(Path.of("target", "outage-db", UUID.randomUUID().toString()));
        database = new EmbeddedMariaDb(home, 0, "relay").start();
        services(registry, database);
    }

    @AfterAll
    static void stopDatabase() {
        database.stop();
    }

    @Override
    String kind() {
        return "database";
    }

    @Override
    void stopStorage() {
        database.stop();
    }

    @Override
    void startStorage() {
        database.start();
    }

    @Test
    void aShortDatabaseOutageIsAPause() throws Exception {
        shortOutageIsAPause();
    }

    @Test
    void aDatabaseOutageBeyondTheRetryTimeoutFailsWithTheDurableOffsetAndResumes() throws Exception {
        longOutageFailsClearlyAndResumes();
    }
}
