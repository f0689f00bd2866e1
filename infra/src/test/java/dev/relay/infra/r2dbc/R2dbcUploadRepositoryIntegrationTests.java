package dev.relay.infra.r2dbc;

import dev.relay.api.ErrorCode;
import dev.relay.infra.testing.TestServices;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.FileCatalog;
import dev.relay.streaming.port.NewUpload;
import dev.relay.streaming.port.StorageUnavailableException;
import dev.relay.streaming.port.UploadRepository;
import dev.relay.streaming.testing.UploadRepositoryContract;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Clock;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The repositories against a real MariaDB, with the schema from the real migrations: the conditional updates the
 * engine relies on ({@link UploadRepositoryContract}), and what is the adapter's own: accounts, and how database
 * failures read.
 */
class R2dbcUploadRepositoryIntegrationTests implements UploadRepositoryContract {

    private static R2dbcUploadRepository uploads;
    private static R2dbcAccountRepository accounts;
    private static R2dbcFileCatalog files;

    @BeforeAll
    static void schema() {
        ConnectionFactory connections = TestServices.get().migratedConnectionFactory();
        DatabaseClient db = DatabaseClient.create(connections);
        uploads = repository(connections);
        accounts = new R2dbcAccountRepository(db, Clock.systemUTC());
        files = new R2dbcFileCatalog(db);
    }

    @Override
    public UploadRepository uploads() {
        return uploads;
    }

    @Override
    public FileCatalog files() {
        return files;
    }

    @Override
    public String newOwner() {
        String id = UUID.randomUUID().toString();
        accounts.create(id, "user-" + id.substring(0, 8), "{noop}x", false).block(TIMEOUT);
        return id;
    }

    /** A token can outlive its account: the upload is refused as unauthenticated, not as a database error. */
    @Test
    void anUploadForAnAccountThatIsGoneIsRefused() {
        String id = UUID.randomUUID().toString();
        assertThatThrownBy(() -> uploads.create(new NewUpload(id, UUID.randomUUID().toString(), "f", 1, "x/y", null,
                5L << 20, "files/" + id), GENEROUS).block(TIMEOUT))
                .isInstanceOfSatisfying(TransferException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED));
    }

    @Test
    void anUnreachableDatabaseIsReportedAsUnavailable() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        ConnectionFactory nowhere = ConnectionFactories.get(ConnectionFactoryOptions.builder()
                .option(ConnectionFactoryOptions.DRIVER, "mysql")
                .option(ConnectionFactoryOptions.HOST, "127.0.0.1")
                .option(ConnectionFactoryOptions.PORT, closedPort)
                .option(ConnectionFactoryOptions.USER, "root")
                .option(ConnectionFactoryOptions.DATABASE, "relay")
                .build());
        assertThatThrownBy(() -> repository(nowhere).find(UUID.randomUUID().toString()).block(TIMEOUT))
                .isInstanceOf(StorageUnavailableException.class);
    }

    @Test
    void aTakenUsernameIsAConflictWhateverItsCase() {
        String id = newOwner();
        String name = accounts.findById(id).block(TIMEOUT).username();
        assertThatThrownBy(() -> accounts.create(UUID.randomUUID().toString(), name.toUpperCase(), "{noop}y", false)
                .block(TIMEOUT))
                .isInstanceOfSatisfying(TransferException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
        assertThat(accounts.findByUsername(name.toUpperCase()).block(TIMEOUT).id()).isEqualTo(id);
    }

    private static R2dbcUploadRepository repository(ConnectionFactory connections) {
        return new R2dbcUploadRepository(DatabaseClient.create(connections),
                TransactionalOperator.create(new R2dbcTransactionManager(connections)), Clock.systemUTC());
    }
}
