import dev.relay.api.UploadState;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import reactor.core.publisher.Flux;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How fast a pause takes hold and a resume lets bytes flow again. The data channel runs on one connection; pause
 * and resume are sent on a second one, as another device of the same user would. Bytes are counted where the
 * client hands them to RSocket (the data Flux), which only happens against credit the server granted.
 */
final class PauseProbe {

    /** No byte for this long after the pause was acknowledged counts as "the sender has gone quiet". */
    static final Duration SILENCE = Duration.ofMillis(1500);
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    record Outcome(long sentBeforePause, double pauseAckMillis, long bytesAfterAck, double lastByteAfterAckMillis,
                   double resumeAckMillis, double resumeToNextByteMillis) {
    }

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong lastByteNanos = new AtomicLong();
    private final AtomicLong firstByteAfterResumeNanos = new AtomicLong();
    private final CompletableFuture<Void> pauseThreshold = new CompletableFuture<>();
    private volatile boolean resumed;

    private PauseProbe() {
    }

    static Outcome run(RelayClient data, RelayClient control, Path file, String sha256) throws Exception {
        return new PauseProbe().measure(data, control, file, sha256);
    }

    private Outcome measure(RelayClient data, RelayClient control, Path file, String sha256) throws Exception {
        long size = Files.size(file);
        long threshold = size / 5;
        UploadTicket ticket = data.createUpload(new CreateUploadRequest(file.getFileName().toString(), size,
                "application/octet-stream", sha256)).block();
        Flux<ByteBuffer> counted = FileTransfers.read(file, 0, ticket.maxChunkBytes()).doOnNext(chunk -> {
            lastByteNanos.set(System.nanoTime());
            if (resumed) {
                firstByteAfterResumeNanos.compareAndSet(0, System.nanoTime());
            }
            if (sent.addAndGet(chunk.remaining()) >= threshold) {
                pauseThreshold.complete(null);
            }
        });
        CompletableFuture<UploadEvent> completed = data.write(ticket.id(), 0, counted)
                .filter(e -> e.type() == UploadEvent.Type.COMPLETED)
                .next()
                .toFuture();

        pauseThreshold.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        long sentBeforePause = sent.get();
        long pauseSent = System.nanoTime();
        expect(control.pause(ticket.id()).block(), UploadState.PAUSED);
        long pauseAck = System.nanoTime();
        long sentAtAck = sent.get();
        while (System.nanoTime() - lastByteNanos.get() < SILENCE.toNanos()) {
            Thread.sleep(50);
        }
        long bytesAfterAck = sent.get() - sentAtAck;
        double lastByteAfterAck = Math.max(0, lastByteNanos.get() - pauseAck) / 1e6;

        resumed = true;
        long resumeSent = System.nanoTime();
        expect(control.resume(ticket.id()).block(), UploadState.ACTIVE);
        long resumeAck = System.nanoTime();
        completed.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        return new Outcome(sentBeforePause, (pauseAck - pauseSent) / 1e6, bytesAfterAck, lastByteAfterAck,
                (resumeAck - resumeSent) / 1e6, (firstByteAfterResumeNanos.get() - resumeSent) / 1e6);
    }

    private static void expect(UploadInfo info, UploadState state) {
        if (info == null || info.state() != state) {
            throw new IllegalStateException("Expected the upload to be " + state + ", got " + info);
        }
    }
}
