package dev.relay.web.config;

import dev.relay.streaming.TransferSettings;
import dev.relay.streaming.chat.ChatService;
import dev.relay.streaming.chat.ChatSettings;
import dev.relay.streaming.chat.EventFeed;
import dev.relay.streaming.chat.EventLog;
import dev.relay.streaming.chat.PresenceBatcher;
import dev.relay.streaming.chat.PresenceInterest;
import dev.relay.streaming.chat.TransferFeed;
import dev.relay.streaming.chat.UserDirectory;
import dev.relay.streaming.port.AccountRepository;
import dev.relay.streaming.port.ChatRepository;
import dev.relay.streaming.port.EventBus;
import dev.relay.streaming.port.NodeBus;
import dev.relay.streaming.port.PresenceStore;
import dev.relay.streaming.port.RateLimits;
import dev.relay.streaming.port.Transactions;
import dev.relay.streaming.download.DownloadService;
import dev.relay.streaming.download.DownloadStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.FileCatalog;
import dev.relay.streaming.port.UploadRepository;
import dev.relay.streaming.upload.BufferBudget;
import dev.relay.streaming.upload.PartSpool;
import dev.relay.streaming.upload.UploadExpiry;
import dev.relay.streaming.upload.UploadService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.io.IOException;
import java.time.Clock;

/** Wires the transfer engine and the chat to whatever adapters implement their ports (the infra module's). */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({TransferProperties.class, ChatProperties.class, ClusterProperties.class})
class TransferConfiguration {

    private static final Logger log = LoggerFactory.getLogger(TransferConfiguration.class);

    @Bean
    ChatSettings chatSettings(ChatProperties properties) {
        return properties.toSettings();
    }

    @Bean
    EventLog eventLog(ChatRepository chat, EventBus bus) {
        return new EventLog(chat, bus);
    }

    @Bean
    PresenceInterest presenceInterest() {
        return new PresenceInterest();
    }

    @Bean
    PresenceBatcher presenceBatcher(AccountRepository accounts, EventBus bus, ChatProperties properties) {
        return new PresenceBatcher(accounts::findByIds, bus, properties.presenceWindow());
    }

    @Bean
    EventFeed eventFeed(ChatRepository chat, EventBus bus, Clock clock, ClusterProperties cluster,
                        PresenceInterest interest) {
        // On every node: the bus is best effort by contract (Redis pub/sub loses messages; the in-process bus
        // drops for a subscriber without demand), and a lost last event shows no gap until the user's next one. One
        // query per 1,000 users with a stream here per interval.
        return new EventFeed(chat, bus, clock, cluster.positionCheckInterval(), interest);
    }

    @Bean
    TransferFeed transferFeed(ChatRepository chat, AccountRepository accounts, Transactions tx, EventLog events,
                              Clock clock, ChatSettings settings) {
        return new TransferFeed(chat, accounts, tx, events, clock, settings.transferInterval());
    }

    @Bean
    UserDirectory userDirectory(AccountRepository accounts, PresenceStore presence, PresenceBatcher changes,
                                PresenceInterest interest, EventLog events, Clock clock) {
        return new UserDirectory(accounts, presence, changes, interest, events, clock);
    }

    @Bean
    ChatService chatService(ChatRepository chat, AccountRepository accounts, Transactions tx, UploadService uploads,
                            UserDirectory users, EventLog events, ChatSettings settings, RateLimits rate,
                            Clock clock) {
        return new ChatService(chat, accounts, tx, uploads, users, events, settings, rate, clock);
    }

    /** Where parts wait until they are durable, unless {@code relay.transfer.part-buffers=heap}. */
    @Bean(destroyMethod = "close")
    @ConditionalOnProperty(name = "relay.transfer.part-buffers", havingValue = "disk", matchIfMissing = true)
    PartSpool partSpool(TransferProperties properties) throws IOException {
        PartSpool spool = PartSpool.open(properties.spoolDirectory());
        log.info("Parts wait in {} ({} MiB free)", spool.directory(), spool.usableBytes() >> 20);
        return spool;
    }

    @Bean
    TransferSettings transferSettings(TransferProperties properties, ObjectProvider<PartSpool> spool)
            throws IOException {
        PartSpool parts = spool.getIfAvailable();
        return properties.toSettings(parts != null ? parts.usableBytes() : 0);
    }

    @Bean
    UploadService uploadService(UploadRepository repo, FileCatalog catalog, ObjectStore store,
                                TransferSettings settings, TransferFeed transferFeed, NodeBus nodes,
                                ObjectProvider<PartSpool> spool) {
        return new UploadService(repo, catalog, store, settings, transferFeed, nodes, spool.getIfAvailable());
    }

    @Bean
    @ConditionalOnProperty(name = "relay.cluster.enabled", havingValue = "true")
    UploadControl uploadControl(UploadService uploads, ClusterProperties cluster) {
        return new UploadControl(uploads, cluster.reconcileInterval());
    }

    /** The node's upload buffer budget, as metrics (relay.uploads.buffers.*). */
    @Bean
    MeterBinder uploadBufferMetrics(UploadService uploads) {
        BufferBudget budget = uploads.bufferBudget();
        return registry -> {
            Gauge.builder("relay.uploads.buffers.held", budget, BufferBudget::used)
                    .baseUnit("bytes").description("Memory claimed by the part buffers of this node's uploads")
                    .register(registry);
            Gauge.builder("relay.uploads.buffers.budget", budget, BufferBudget::limit)
                    .baseUnit("bytes").description("The most the part buffers of this node's uploads may hold")
                    .register(registry);
            Gauge.builder("relay.uploads.buffers.waiting", budget, BufferBudget::waiting)
                    .description("Uploads whose credit waits for buffer memory now").register(registry);
            FunctionCounter.builder("relay.uploads.buffers.waits", budget, BufferBudget::waits)
                    .description("Times an upload's credit waited for buffer memory").register(registry);
        };
    }

    @Bean
    DownloadService downloadService(FileCatalog files, ObjectStore store, TransferProperties properties) {
        return new DownloadService(files, store, properties.toDownloadSettings());
    }

    /** What downloads read from S3 and hold in memory, as metrics (relay.downloads.*). */
    @Bean
    MeterBinder downloadMetrics(DownloadService downloads) {
        DownloadStats stats = downloads.stats();
        return registry -> {
            FunctionCounter.builder("relay.downloads.store.read", stats, DownloadStats::storeBytes)
                    .baseUnit("bytes").description("Bytes read from S3 for downloads").register(registry);
            Gauge.builder("relay.downloads.held", stats, DownloadStats::heldBytes)
                    .baseUnit("bytes").description("Bytes of downloads read from S3 and not yet written to a socket")
                    .register(registry);
        };
    }

    @Bean
    UploadExpiry uploadExpiry(UploadService uploads, UploadRepository repo, ObjectStore store,
                              TransferSettings settings) {
        return new UploadExpiry(uploads, repo, store, settings);
    }

    @Bean
    UploadShutdown uploadShutdown(UploadService uploads, TransferProperties properties) {
        return new UploadShutdown(uploads, properties.storageRetryTimeout());
    }

    @Bean
    ExpiryScheduler expiryScheduler(UploadExpiry expiry, TransferProperties properties, ChatRepository chat,
                                    ChatSettings chatSettings, Clock clock) {
        return new ExpiryScheduler(expiry, properties.expirySweepInterval(), chat, chatSettings.eventRetention(),
                clock);
    }
}
