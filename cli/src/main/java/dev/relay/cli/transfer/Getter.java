package dev.relay.cli.transfer;

import dev.relay.api.wire.FileInfo;
import dev.relay.cli.CliException;
import dev.relay.cli.ExitCodes;
import dev.relay.cli.Session;
import dev.relay.cli.progress.ProgressReporter;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** {@code relay get}: downloads a file, continuing a partial copy, and verifies its SHA-256 (FileTransfers). */
public final class Getter {

    private final Session session;

    public Getter(Session session) {
        this.session = session;
    }

    public FileInfo describe(String id) {
        return session.await(session.client().file(id));
    }

    /** Where the file goes: {@code output}, a file of the same name inside it if it is a directory, or ./NAME. */
    public static Path target(Path output, FileInfo info) {
        if (output == null) {
            return Path.of(info.name());
        }
        return Files.isDirectory(output) ? output.resolve(info.name()) : output;
    }

    public FileInfo get(FileInfo info, Path target, ProgressReporter progress) throws IOException {
        RelayClient client = session.client();
        boolean partial = Files.exists(target) && Files.size(target) > 0;
        // FileTransfers appends to the file as bytes arrive, so its length is the progress.
        Disposable poll = Flux.interval(Duration.ZERO, Duration.ofMillis(200))
                .subscribe(tick -> progress.update(sizeOf(target)));
        try {
            FileInfo done = new FileTransfers(client, Retries.forTransfer(progress)).download(info.id(), target)
                    .block();
            progress.update(sizeOf(target));
            return done;
        } catch (RuntimeException e) {
            if (ExitCodes.isUnreachable(e)) {
                throw new CliException(ExitCodes.UNREACHABLE, "cannot reach the server at "
                        + session.config().server() + ": " + ExitCodes.message(e)
                        + "; run `relay get` again to continue from " + target);
            }
            if (partial && ExitCodes.unwrap(e) instanceof IOException io && String.valueOf(io.getMessage())
                    .contains("SHA-256")) {
                // The bytes that were already there were not the start of this file.
                throw new CliException(ExitCodes.OTHER, io.getMessage() + "; " + target
                        + " held other data before: delete it and run `relay get` again");
            }
            throw e;
        } finally {
            poll.dispose();
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
