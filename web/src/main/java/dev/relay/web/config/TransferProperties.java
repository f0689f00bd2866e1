package dev.relay.web.config;

import dev.relay.streaming.TransferSettings;
import dev.relay.streaming.download.DownloadSettings;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;
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
        DataSize bufferBudget,
        @DefaultValue("disk") PartBuffers partBuffers,
        Path spoolDir) {

    /**
     * Without {@code buffer-budget}: half of what the parts' place holds, the heap the JVM may use (the rest serves
     * connections, chat, downloads) or the spool's free disk space.
     */
    static final double DEFAULT_BUDGET_SHARE = 0.5;

    /** Where parts wait until S3 and the database have them. */
    public enum PartBuffers {
        /** Files in {@code spool-dir} (a few KiB of heap per active upload; the page cache does the rest). */
        DISK,
        /** One array per part on the heap (a part's size per active upload). */
        HEAP
    }

    /** The spool's directory: {@code spool-dir}, or relay-spool in the system's temporary directory. */
    public Path spoolDirectory() {
        return spoolDir != null ? spoolDir : Path.of(System.getProperty("java.io.tmpdir"), "relay-spool");
    }

    /** @param spoolBytes the spool's free space (for the default budget with parts on disk) */
    public TransferSettings toSettings(long spoolBytes) {
        return new TransferSettings((int) maxChunkSize.toBytes(), creditWindow.toBytes(), creditWindowMax.toBytes(),
                partSize.toBytes(), preferredPartSize.toBytes(), 10_000,
                maxFileSize.toBytes(), userQuota.toBytes(), maxOpenUploadsPerUser, storageRetryTimeout, expireAfter,
                bufferBudgetBytes(spoolBytes), receiveAhead);
    }

    long bufferBudgetBytes(long spoolBytes) {
        long room = partBuffers == PartBuffers.DISK ? spoolBytes : Runtime.getRuntime().maxMemory();
        return bufferBudget != null ? bufferBudget.toBytes()
                : Math.max(2 * partSize.toBytes(), (long) (room * DEFAULT_BUDGET_SHARE));
    }

    public DownloadSettings toDownloadSettings() {
        return new DownloadSettings(downloadWindow.toBytes(), downloadRangedReads, (int) readChunkSize.toBytes());
    }
}
