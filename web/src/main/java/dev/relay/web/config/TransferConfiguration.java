package dev.relay.web.config;

import dev.relay.streaming.TransferSettings;
import dev.relay.streaming.download.DownloadService;
import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.TransferRepository;
import dev.relay.streaming.upload.UploadExpiry;
import dev.relay.streaming.upload.UploadService;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the transfer engine to whatever adapters implement its ports (the infra module's, by default). */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(TransferProperties.class)
class TransferConfiguration {

    @Bean
    TransferSettings transferSettings(TransferProperties properties) {
        return properties.toSettings();
    }

    @Bean
    UploadService uploadService(TransferRepository repo, ObjectStore store, TransferSettings settings) {
        return new UploadService(repo, store, settings);
    }

    @Bean
    DownloadService downloadService(TransferRepository repo, ObjectStore store, TransferSettings settings) {
        return new DownloadService(repo, store, settings);
    }

    @Bean
    UploadExpiry uploadExpiry(UploadService uploads, TransferRepository repo, ObjectStore store,
                              TransferSettings settings) {
        return new UploadExpiry(uploads, repo, store, settings);
    }

    @Bean
    UploadShutdown uploadShutdown(UploadService uploads, TransferProperties properties) {
        return new UploadShutdown(uploads, properties.storageRetryTimeout());
    }

    @Bean
    ExpiryScheduler expiryScheduler(UploadExpiry expiry, TransferProperties properties) {
        return new ExpiryScheduler(expiry, properties.expirySweepInterval());
    }
}
