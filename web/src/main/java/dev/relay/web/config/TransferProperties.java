package dev.relay.web.config;

import dev.relay.streaming.TransferSettings;
import dev.relay.streaming.download.DownloadSettings;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.time.Duration;

/** {@code relay.transfer.*}: limits and tuning of the transfer engine (see README, "Configuration"). */
@ConfigurationProperties("relay.transfer")
public record TransferProperties(
        @DefaultValue("256KB") DataSize maxChunkSize,
        @DefaultValue("256KB") DataSize creditWindow,
        @DefaultValue("16MB") DataSize creditWindowMax,
        @DefaultValue("32MB") DataSize partSize,
        @DefaultValue("16MB") DataSize preferredPartSize,
        @DefaultValue("100GB") DataSize maxFileSize,
        @DefaultValue("500GB") DataSize userQuota,
        @DefaultValue("20") int maxOpenUploadsPerUser,
        @DefaultValue("2m") Duration storageRetryTimeout,
        @DefaultValue("24h") Duration expireAfter,
        @DefaultValue("10m") Duration expirySweepInterval,
        @DefaultValue("256KB") DataSize readChunkSize,
        @DefaultValue("false") boolean receiveAhead,
        @DefaultValue("8MB") DataSize downloadWindow,
        @DefaultValue("4") int downloadRangedReads,
        DataSize bufferBudget) {

    /** Without {@code buffer-budget}: half the heap the JVM may use (the rest serves connections, chat, downloads). */
    static final double DEFAULT_BUDGET_SHARE = 0.5;

    public TransferSettings toSettings() {
        return new TransferSettings((int) maxChunkSize.toBytes(), creditWindow.toBytes(), creditWindowMax.toBytes(),
                partSize.toBytes(), preferredPartSize.toBytes(), 10_000,
                maxFileSize.toBytes(), userQuota.toBytes(), maxOpenUploadsPerUser, storageRetryTimeout, expireAfter,
                bufferBudgetBytes(), receiveAhead);
    }

    long bufferBudgetBytes() {
        return bufferBudget != null ? bufferBudget.toBytes()
                : Math.max(2 * partSize.toBytes(), (long) (Runtime.getRuntime().maxMemory() * DEFAULT_BUDGET_SHARE));
    }

    public DownloadSettings toDownloadSettings() {
        return new DownloadSettings(downloadWindow.toBytes(), downloadRangedReads, (int) readChunkSize.toBytes());
    }
}
