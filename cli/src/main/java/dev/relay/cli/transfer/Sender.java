package dev.relay.cli.transfer;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.cli.CliException;
import dev.relay.cli.ExitCodes;
import dev.relay.cli.Session;
import dev.relay.cli.config.PendingUpload;
import dev.relay.cli.config.PendingUploads;
import dev.relay.cli.progress.ProgressReporter;
import dev.relay.cli.progress.Units;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import reactor.core.publisher.Sinks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * {@code relay send}: creates an upload (or continues the pending one for the same unchanged file) and sends the
 * file from the server's durable offset, through {@link FileTransfers#resume} and its retries.
 */
public final class Sender {

    /** How it ended: completed (with the server's view of the upload) or stopped by the user. */
    public record Result(UploadInfo upload, boolean stopped, long resumedFrom, long receivedThisRun) {
    }

    /** What the user can do while the transfer runs (keys): pause, resume, stop. */
    public interface Controls {
        void pause();

        void resume();

        void stop();
    }

    private final Session session;
    private final PendingUploads pending;
    private final Consumer<String> notes;

    public Sender(Session session, Consumer<String> notes) {
        this.session = session;
        this.pending = session.pendingUploads();
        this.notes = notes;
    }

    /** The upload to send {@code file} to: the pending one if it is still open for this content, else a new one. */
    public Target prepare(Path file, String recipient) throws IOException {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw CliException.usage("not a readable file: " + file);
        }
        String path = file.toRealPath().toString();
        long size = Files.size(file);
        long modified = Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toMillis();
        RelayClient client = session.client();
        String server = session.config().server();
        String user = session.config().username();

        Optional<PendingUpload> earlier = pending.find(path, server, user);
        if (earlier.isPresent()) {
            PendingUpload record = earlier.get();
            Optional<Target> continued = continuePending(client, record, size, modified);
            if (continued.isPresent()) {
                return continued.get();
            }
        }

        notes.accept("computing the SHA-256 of " + file.getFileName() + " (" + Units.bytes(size) + ")");
        CreateUploadRequest request = FileTransfers.describe(file, Files.probeContentType(file));
        if (recipient != null) {
            request = request.withRecipient(recipient);
        }
        UploadTicket ticket;
        try {
            ticket = session.await(client.createUpload(request));
        } catch (RelayException e) {
            if (recipient != null && e.code() == ErrorCode.USER_DISABLED) {
                // About the recipient, not this login: a refusal, not an authentication failure.
                throw new CliException(ExitCodes.REJECTED, e.getMessage());
            }
            throw e;
        }
        pending.put(new PendingUpload(path, size, modified, ticket.id(), ticket.maxChunkBytes(), server, user,
                Instant.now()));
        return new Target(ticket.id(), size, ticket.maxChunkBytes(), ticket.offset(), false);
    }

    private Optional<Target> continuePending(RelayClient client, PendingUpload record, long size, long modified)
            throws IOException {
        String id = record.uploadId();
        UploadInfo info;
        try {
            info = session.await(client.upload(id));
        } catch (RelayException e) {
            if (e.code() != ErrorCode.NOT_FOUND) {
                throw e;
            }
            notes.accept("the earlier upload " + id + " no longer exists; starting a new one");
            pending.removeUpload(id);
            return Optional.empty();
        }
        if (!record.unchanged(size, modified) || info.size() != size) {
            notes.accept("the file changed since upload " + id + " began; cancelling it and starting over");
            if (info.state().isOpen()) {
                try {
                    session.await(client.cancel(id));
                } catch (RelayException ignored) {
                    // It ends by itself (expiry); the new upload does not depend on it.
                }
            }
            pending.removeUpload(id);
            return Optional.empty();
        }
        if (info.state() == UploadState.COMPLETED) {
            pending.removeUpload(id);
            return Optional.of(new Target(id, size, record.maxChunkBytes(), size, true));
        }
        if (!info.state().isOpen()) {
            notes.accept("the earlier upload " + id + " is " + info.state() + "; starting a new one");
            pending.removeUpload(id);
            return Optional.empty();
        }
        if (info.state() == UploadState.PAUSED) {
            // Sending again is an explicit request to go on; a paused upload would get no credit.
            notes.accept("upload " + id + " was paused; resuming it");
            session.await(client.resume(id));
        }
        notes.accept("continuing upload " + id + " (" + Units.percent(info.offset(), size) + " stored)");
        return Optional.of(new Target(id, size, record.maxChunkBytes(), info.offset(), false));
    }

    /** Where the bytes go. {@code alreadyComplete}: an earlier run finished it; nothing to send. */
    public record Target(String id, long size, int chunkBytes, long offset, boolean alreadyComplete) {
    }

    /**
     * Sends {@code file} to {@code target} until it completes or {@code stop} fires; progress goes to
     * {@code progress}. Returns the controls to pause, resume and stop through {@code controlsReady} before the
     * bytes start to flow.
     */
    public Result send(Path file, Target target, ProgressReporter progress, Consumer<Controls> controlsReady) {
        RelayClient client = session.client();
        String id = target.id();
        if (target.alreadyComplete()) {
            return new Result(session.await(client.upload(id)), false, target.size(), 0);
        }
        Sinks.Empty<Void> stop = Sinks.empty();
        controlsReady.accept(new Controls() {
            @Override
            public void pause() {
                progress.status("pausing");
                client.pause(id).subscribe(info -> progress.status("paused"),
                        e -> progress.note("pause failed: " + ExitCodes.message(e)));
            }

            @Override
            public void resume() {
                client.resume(id).subscribe(info -> progress.status(null),
                        e -> progress.note("resume failed: " + ExitCodes.message(e)));
            }

            @Override
            public void stop() {
                stop.tryEmitEmpty();
            }
        });

        AtomicLong lastReceived = new AtomicLong(target.offset());
        AtomicLong receivedThisRun = new AtomicLong();
        // Where this run really started: the durable offset may still have moved since prepare() asked (the
        // server stages what an interrupted run sent when it notices the connection is gone).
        AtomicLong startedAt = new AtomicLong(-1);
        progress.update(target.offset());
        UploadInfo done;
        try {
            done = new FileTransfers(client, Retries.forTransfer(progress))
                    .resume(id, file, target.chunkBytes(), event -> {
                        if (event.type() == UploadEvent.Type.STARTED) {
                            // A new channel starts from the durable offset: count only what arrives from here.
                            lastReceived.set(event.received());
                            if (startedAt.compareAndSet(-1, event.offset()) && event.offset() > 0) {
                                progress.note("the server has " + Units.bytes(event.offset()) + " ("
                                        + Units.percent(event.offset(), target.size()) + "); sending from byte "
                                        + event.offset());
                            }
                        } else {
                            receivedThisRun.addAndGet(Math.max(0, event.received() - lastReceived.getAndSet(
                                    event.received())));
                        }
                        progress.update(event.received());
                        progress.status(event.state() == UploadState.PAUSED ? "paused" : null);
                    })
                    .takeUntilOther(stop.asMono())
                    .block();
        } catch (RuntimeException e) {
            RuntimeException failure = e;
            if (ExitCodes.isUnreachable(e)) {
                failure = new CliException(ExitCodes.UNREACHABLE, "cannot reach the server at "
                        + session.config().server() + ": " + ExitCodes.message(e)
                        + "; run `relay send` again to continue upload " + id);
            }
            if (ExitCodes.of(failure) == ExitCodes.REJECTED || ExitCodes.of(failure) == ExitCodes.NOT_FOUND) {
                forgetIfFinal(client, id);
            }
            throw failure;
        }
        if (done == null) {
            return new Result(null, true, Math.max(startedAt.get(), 0), receivedThisRun.get());
        }
        try {
            pending.removeUpload(id);
        } catch (IOException e) {
            notes.accept("could not update " + pending.file() + ": " + e.getMessage());
        }
        return new Result(done, false, startedAt.get() < 0 ? target.offset() : startedAt.get(),
                receivedThisRun.get());
    }

    /** An upload that can no longer be continued should not be offered for continuing next time. */
    private void forgetIfFinal(RelayClient client, String id) {
        try {
            UploadInfo info = client.upload(id).block(java.time.Duration.ofSeconds(10));
            if (info != null && info.state().isOpen()) {
                return;
            }
        } catch (RuntimeException e) {
            if (!(e instanceof RelayException re && re.code() == ErrorCode.NOT_FOUND)) {
                return;
            }
        }
        try {
            pending.removeUpload(id);
        } catch (IOException ignored) {
            // Found stale on the next send, which starts over then.
        }
    }
}
