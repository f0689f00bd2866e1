package dev.relay.client;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.FileInfo;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadInfo;
import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.rsocket.Payload;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;
import reactor.util.retry.RetryBackoffSpec;

import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Resumable file transfers on a {@link RelayClient}: an upload or download that loses its connection reconnects
 * and continues from where the server (or the local file) stands, without sending or fetching anything twice beyond
 * what was in flight.
 */
public final class FileTransfers {

    /** Errors after which trying again cannot help. */
    private static final Set<ErrorCode> FINAL = EnumSet.of(ErrorCode.INVALID_REQUEST, ErrorCode.UNAUTHENTICATED,
            ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND, ErrorCode.UNKNOWN_ROUTE, ErrorCode.FILE_TOO_LARGE,
            ErrorCode.QUOTA_EXCEEDED, ErrorCode.TOO_MANY_UPLOADS, ErrorCode.CHUNK_TOO_LARGE, ErrorCode.CREDIT_EXCEEDED,
            ErrorCode.SIZE_EXCEEDED, ErrorCode.INVALID_STATE, ErrorCode.CHECKSUM_MISMATCH, ErrorCode.CANCELLED,
            ErrorCode.USER_DISABLED, ErrorCode.ADMIN_ONLY);

    /**
     * File reads and writes run here, not on the shared boundedElastic scheduler: an application that blocks on
     * boundedElastic threads (waiting for this very transfer, say) could otherwise fill it and starve the reads its
     * transfers wait for, a deadlock. Daemon threads: the scheduler never keeps a JVM alive.
     */
    private static final Scheduler FILE_IO = Schedulers.newBoundedElastic(Schedulers.DEFAULT_BOUNDED_ELASTIC_SIZE,
            Schedulers.DEFAULT_BOUNDED_ELASTIC_QUEUESIZE, "relay-file-io", 60, true);

    private final RelayClient client;
    private final Retry retry;

    public FileTransfers(RelayClient client) {
        this(client, Retry.backoff(20, Duration.ofMillis(250)).maxBackoff(Duration.ofSeconds(10)));
    }

    public FileTransfers(RelayClient client, RetryBackoffSpec retry) {
        this.client = client;
        this.retry = retry.filter(FileTransfers::isRetryable);
    }

    /** Creates an upload for {@code file} (declaring its SHA-256) and sends it; see {@link #resume}. */
    public Mono<UploadInfo> upload(Path file, String contentType, Consumer<UploadEvent> progress) {
        return Mono.fromCallable(() -> describe(file, contentType))
                .subscribeOn(FILE_IO)
                .flatMap(client::createUpload)
                .flatMap(ticket -> resume(ticket.id(), file, ticket.maxChunkBytes(), progress));
    }

    /**
     * Sends {@code file} to an existing upload until it is COMPLETED: each attempt asks the server for the durable
     * offset and writes from there, so after a dropped connection only the chunks in flight are sent again.
     */
    public Mono<UploadInfo> resume(String id, Path file, int chunkBytes, Consumer<UploadEvent> progress) {
        return Mono.defer(() -> client.upload(id).flatMap(info -> {
                    if (info.state() == UploadState.COMPLETED) {
                        return Mono.just(info);
                    }
                    return client.write(id, info.offset(), read(file, info.offset(), chunkBytes))
                            .doOnNext(progress)
                            .filter(e -> e.type() == UploadEvent.Type.COMPLETED)
                            .next()
                            .switchIfEmpty(Mono.error(() -> new IOException("The write channel of " + id
                                    + " ended before the upload completed")))
                            .then(client.upload(id));
                }))
                .retryWhen(retry);
    }

    /**
     * Downloads a file to {@code target}, continuing a partial file already there, and verifies its SHA-256.
     */
    public Mono<FileInfo> download(String id, Path target) {
        return client.file(id).flatMap(info -> Mono.defer(() -> {
                    long have = Files.exists(target) ? size(target) : 0;
                    if (have > info.size()) {
                        return Mono.error(new IOException(target + " is larger than file " + id));
                    }
                    if (have == info.size()) {
                        return Mono.just(info);
                    }
                    return Mono.using(() -> FileChannel.open(target, StandardOpenOption.CREATE,
                                    StandardOpenOption.WRITE, StandardOpenOption.APPEND),
                            // Netty's buffers go to the file as they are; each is released once written,
                            // or when a failure or cancel drops it from the queue.
                            channel -> client.readPayloads(id, have)
                                    .publishOn(FILE_IO, 4)
                                    .doOnNext(payload -> {
                                        try {
                                            writeFully(channel, payload.data());
                                        } finally {
                                            payload.release();
                                        }
                                    })
                                    .doOnDiscard(Payload.class, ReferenceCountUtil::safeRelease)
                                    .then(Mono.just(info)),
                            FileTransfers::closeQuietly);
                })
                .retryWhen(retry)
                .flatMap(done -> Mono.fromCallable(() -> {
                    String actual = sha256(target);
                    if (!actual.equals(done.sha256())) {
                        throw new IOException("Downloaded " + target + " has SHA-256 " + actual + ", not "
                                + done.sha256());
                    }
                    return done;
                }).subscribeOn(FILE_IO)));
    }

    /**
     * The bytes of {@code file} from {@code offset}, read as they are requested. Read through a RandomAccessFile,
     * whose reads ignore interrupts: cancelling the upload interrupts a read under way (the scheduler's worker is
     * disposed), and an interruptible FileChannel would then fail with ClosedByInterruptException, an error nobody
     * is subscribed to any more (Reactor logs it as dropped).
     */
    public static Flux<ByteBuffer> read(Path file, long offset, int chunkBytes) {
        return Flux.<ByteBuffer, RandomAccessFile>generate(
                        () -> {
                            RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r");
                            raf.seek(offset);
                            return raf;
                        },
                        (raf, sink) -> {
                            try {
                                byte[] chunk = new byte[chunkBytes];
                                int filled = 0;
                                int n;
                                while (filled < chunkBytes && (n = raf.read(chunk, filled, chunkBytes - filled)) >= 0) {
                                    filled += n;
                                }
                                if (filled > 0) {
                                    sink.next(ByteBuffer.wrap(chunk, 0, filled));
                                } else {
                                    sink.complete();
                                }
                            } catch (IOException e) {
                                sink.error(e);
                            }
                            return raf;
                        },
                        FileTransfers::closeQuietly)
                .subscribeOn(FILE_IO);
    }

    public static String sha256(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
            while (channel.read(buffer) >= 0) {
                buffer.flip();
                digest.update(buffer);
                buffer.clear();
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean isRetryable(Throwable e) {
        return !(e instanceof RelayException re) || !FINAL.contains(re.code());
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code data}'s readable bytes: direct buffers reach the file without a copy (a gathering write). */
    static void writeFully(FileChannel channel, ByteBuf data) {
        ByteBuffer[] buffers = data.nioBuffers();
        long left = data.readableBytes();
        try {
            while (left > 0) {
                left -= channel.write(buffers);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void closeQuietly(Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException ignored) {
            // Nothing useful to do: the transfer's outcome is already decided.
        }
    }

    /** The create request for {@code file}: its name, size and SHA-256. */
    public static CreateUploadRequest describe(Path file, String contentType) throws IOException {
        return new CreateUploadRequest(file.getFileName().toString(), Files.size(file), contentType, sha256(file));
    }
}
