package dev.relay.infra.config;

import dev.relay.infra.events.InProcessEventBus;
import dev.relay.infra.r2dbc.R2dbcAccountRepository;
import dev.relay.infra.r2dbc.R2dbcInviteRepository;
import dev.relay.infra.r2dbc.R2dbcChatRepository;
import dev.relay.infra.r2dbc.R2dbcDownloadLinkUses;
import dev.relay.infra.r2dbc.R2dbcTransactions;
import dev.relay.streaming.port.ChatRepository;
import dev.relay.streaming.port.DownloadLinkUses;
import dev.relay.streaming.port.EventBus;
import dev.relay.streaming.port.NodeBus;
import dev.relay.streaming.port.PresenceStore;
import dev.relay.streaming.port.RateLimits;
import dev.relay.streaming.support.LocalRateLimits;
import dev.relay.streaming.chat.Presence;
import dev.relay.streaming.port.Transactions;
import dev.relay.infra.r2dbc.R2dbcFileCatalog;
import dev.relay.infra.r2dbc.R2dbcUploadRepository;
import dev.relay.streaming.port.AccountRepository;
import dev.relay.streaming.port.InviteRepository;
import dev.relay.streaming.port.FileCatalog;
import dev.relay.streaming.port.UploadRepository;
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

/**
 * The database adapters (repositories on the R2DBC {@link DatabaseClient} Spring Boot configures) and the
 * in-process event bus.
 */
@AutoConfiguration(after = {R2dbcAutoConfiguration.class, R2dbcDataAutoConfiguration.class})
public class R2dbcRepositoriesAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    Clock clock() {
        return Clock.systemUTC();
    }

    /** One operator for every repository, so a transaction opened by one is joined by the others' calls. */
    @Bean
    @ConditionalOnMissingBean
    Transactions transactions(ConnectionFactory connectionFactory) {
        return new R2dbcTransactions(TransactionalOperator.create(new R2dbcTransactionManager(connectionFactory)));
    }

    @Bean
    @ConditionalOnMissingBean
    UploadRepository uploadRepository(DatabaseClient db, ConnectionFactory connectionFactory, Clock clock) {
        return new R2dbcUploadRepository(db,
                TransactionalOperator.create(new R2dbcTransactionManager(connectionFactory)), clock);
    }

    @Bean
    @ConditionalOnMissingBean
    FileCatalog fileCatalog(DatabaseClient db) {
        return new R2dbcFileCatalog(db);
    }

    @Bean
    @ConditionalOnMissingBean
    ChatRepository chatRepository(DatabaseClient db, Clock clock) {
        return new R2dbcChatRepository(db, clock);
    }

    @Bean
    @ConditionalOnMissingBean
    EventBus eventBus() {
        return new InProcessEventBus();
    }

    /** Rate limits of a node alone (ClusterAutoConfiguration provides shared ones). */
    @Bean
    @ConditionalOnMissingBean
    RateLimits rateLimits() {
        return new LocalRateLimits();
    }

    /** Presence of a node alone (ClusterAutoConfiguration provides one across nodes). */
    @Bean
    @ConditionalOnMissingBean
    PresenceStore presenceStore() {
        return new Presence();
    }

    /** A node alone (ClusterAutoConfiguration provides one across nodes). */
    @Bean
    @ConditionalOnMissingBean
    NodeBus nodeBus() {
        return NodeBus.standalone();
    }

    /** Download links in use, in the database, so that every node of a cluster sees them. */
    @Bean
    @ConditionalOnMissingBean
    DownloadLinkUses downloadLinkUses(DatabaseClient db) {
        return new R2dbcDownloadLinkUses(db);
    }

    @Bean
    @ConditionalOnMissingBean
    AccountRepository accountRepository(DatabaseClient db, Clock clock) {
        return new R2dbcAccountRepository(db, clock);
    }

    @Bean
    @ConditionalOnMissingBean
    InviteRepository inviteRepository(DatabaseClient db, Clock clock) {
        return new R2dbcInviteRepository(db, clock);
    }
}
