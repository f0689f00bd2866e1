package dev.relay.cli.transfer;

import dev.relay.cli.ExitCodes;
import dev.relay.cli.progress.ProgressReporter;
import reactor.util.retry.Retry;
import reactor.util.retry.RetryBackoffSpec;

import java.time.Duration;

/** How long a transfer keeps trying after its connection drops. */
final class Retries {

    /** About five minutes of backoff (0.5 s doubling to 15 s) before the transfer gives up. */
    static final int ATTEMPTS = 25;

    private Retries() {
    }

    /** FileTransfers adds its own filter (only failures worth retrying); this adds a note for the user. */
    static RetryBackoffSpec forTransfer(ProgressReporter progress) {
        return Retry.backoff(ATTEMPTS, Duration.ofMillis(500))
                .maxBackoff(Duration.ofSeconds(15))
                .doBeforeRetry(signal -> {
                    progress.status("reconnecting");
                    progress.note("connection lost (" + ExitCodes.message(signal.failure()) + "); retrying, "
                            + "attempt " + (signal.totalRetries() + 1) + " of " + ATTEMPTS);
                });
    }
}
