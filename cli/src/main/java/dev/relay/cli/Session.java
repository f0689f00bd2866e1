package dev.relay.cli;

import dev.relay.cli.config.Config;
import dev.relay.cli.config.ConfigStore;
import dev.relay.cli.config.PendingUploads;
import dev.relay.client.RelayClient;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;

/** A logged-in user's connection to the service, opened from the config file. */
public final class Session implements AutoCloseable {

    /** How long one request may take before the CLI gives up on it. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    private final ConfigStore store;
    private final Config config;
    private RelayClient client;

    private Session(ConfigStore store, Config config) {
        this.store = store;
        this.config = config;
    }

    /** Opens the session of the logged-in user, or fails with exit code 3 when there is none (or it expired). */
    public static Session open(CliEnvironment env) throws IOException {
        ConfigStore store = ConfigStore.locate(env.env());
        Config config = store.load();
        if (!config.loggedIn()) {
            throw CliException.notLoggedIn("not logged in: run `relay login USER` first");
        }
        if (config.expired(Instant.now())) {
            throw CliException.notLoggedIn("the login of " + config.username() + " expired at "
                    + config.expiresAt() + ": run `relay login " + config.username() + "` again");
        }
        return new Session(store, config);
    }

    public Config config() {
        return config;
    }

    public PendingUploads pendingUploads() {
        return new PendingUploads(store.directory());
    }

    /**
     * The connection, opened on first use. Each connection attempt is retried a few times only, so an unreachable
     * server is reported within seconds; transfers add their own, longer retries on top.
     */
    public synchronized RelayClient client() {
        if (client == null) {
            client = RelayClient.connect(config.webSocketUri(), config.token(),
                    Retry.backoff(3, Duration.ofMillis(250)).maxBackoff(Duration.ofSeconds(2)));
        }
        return client;
    }

    /** Waits for one request's answer; an unreachable server becomes exit code 6 with the URL in the message. */
    public <T> T await(Mono<T> request) {
        try {
            return request.block(REQUEST_TIMEOUT);
        } catch (RuntimeException e) {
            throw unreachable(e, config.server());
        }
    }

    static RuntimeException unreachable(RuntimeException e, String server) {
        if (ExitCodes.isUnreachable(e)) {
            return new CliException(ExitCodes.UNREACHABLE, "cannot reach the server at " + server + ": "
                    + ExitCodes.message(e));
        }
        return e;
    }

    @Override
    public synchronized void close() {
        if (client != null) {
            client.close();
        }
    }
}
