package dev.relay.infra.config;

import dev.relay.infra.r2dbc.R2dbcAccountRepository;
import dev.relay.infra.r2dbc.R2dbcTransferRepository;
import dev.relay.streaming.port.AccountRepository;
import dev.relay.streaming.port.TransferRepository;
import io.r2dbc.spi.ConnectionFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.r2dbc.R2dbcAutoConfiguration;
import org.springframework.boot.autoconfigure.data.r2dbc.R2dbcDataAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;

import java.time.Clock;

/** The database adapters: repositories on the R2DBC {@link DatabaseClient} Spring Boot configures. */
@AutoConfiguration(after = {R2dbcAutoConfiguration.class, R2dbcDataAutoConfiguration.class})
public class R2dbcRepositoriesAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    @ConditionalOnMissingBean
    TransferRepository transferRepository(DatabaseClient db, ConnectionFactory connectionFactory, Clock clock) {
        return new R2dbcTransferRepository(db,
                TransactionalOperator.create(new R2dbcTransactionManager(connectionFactory)), clock);
    }

    @Bean
    @ConditionalOnMissingBean
    AccountRepository accountRepository(DatabaseClient db, Clock clock) {
        return new R2dbcAccountRepository(db, clock);
    }
}
