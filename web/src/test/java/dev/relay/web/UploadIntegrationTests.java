package dev.relay.web;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UploadIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void aFileOfSeveralPartsIsStoredWithItsSha256AndReadsBackIdentically() throws Exception {
        AuthToken alice = newUser();
        RelayClient client = client(alice);
        Path file = randomFile(3 * PART + 1_234_567, 1);
        List<UploadEvent> events = new CopyOnWriteArrayList<>();

        UploadInfo done = new FileTransfers(client).upload(file, "application/x-test", events::add).block(TIMEOUT);

        String sha = FileTransfers.sha256(file);
        assertThat(done.state()).isEqualTo(UploadState.COMPLETED);
        assertThat(done.sha256()).isEqualTo(sha);
        assertThat(done.offset()).isEqualTo(Files.size(file));
        assertThat(events).extracting(UploadEvent::type).contains(UploadEvent.Type.STARTED,
                UploadEvent.Type.PROGRESS, UploadEvent.Type.COMPLETED);
        assertThat(events.get(events.size() - 1).sha256()).isEqualTo(sha);
        assertThat(multipartUploadsOf("files/" + done.id())).isEmpty();

        Path copy = Files.createTempDirectory(Path.of("target"), "dl").resolve("copy.bin");
        new FileTransfers(client).download(done.id(), copy).block(TIMEOUT);
        assertThat(FileTransfers.sha256(copy)).isEqualTo(sha);
        assertThat(client.files().collectList().block(TIMEOUT)).extracting(f -> f.id()).contains(done.id());
    }

    @Test
    void aDeclaredSha256ThatDoesNotMatchFailsTheUploadClearly() throws Exception {
        RelayClient client = client(newUser());
        Path file = randomFile(PART + 10, 2);
        UploadTicket ticket = client.createUpload(new CreateUploadRequest("x.bin", Files.size(file), null,
                "0".repeat(64))).block(TIMEOUT);

        assertThatThrownBy(() -> client.write(ticket.id(), 0, FileTransfers.read(file, 0, CHUNK)).blockLast(TIMEOUT))
                .isInstanceOf(RelayException.class)
                .satisfies(e -> assertThat(((RelayException) e).code()).isEqualTo(ErrorCode.CHECKSUM_MISMATCH));
        UploadInfo info = client.upload(ticket.id()).block(TIMEOUT);
        assertThat(info.state()).isEqualTo(UploadState.FAILED);
        assertThat(info.error()).contains("CHECKSUM_MISMATCH");
        assertThat(multipartUploadsOf("files/" + ticket.id())).isEmpty();
    }

    @Test
    void pauseWithholdsCreditUntilResumeOnTheSameChannel() throws Exception {
        AuthToken alice = newUser();
        RelayClient writer = client(alice);
        RelayClient otherTab = client(alice);
        Path file = randomFile(4 * PART, 3);
        UploadTicket ticket = writer.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        AtomicLong sent = new AtomicLong();
        Sinks.One<Long> pausedAt = Sinks.one();
        AtomicBoolean pauseRequested = new AtomicBoolean();

        Flux<UploadEvent> channel = writer.write(ticket.id(), 0, FileTransfers.read(file, 0, CHUNK)
                        .doOnNext(b -> sent.addAndGet(b.remaining())))
                .doOnNext(e -> {
                    if (e.type() == UploadEvent.Type.PROGRESS && e.received() > PART
                            && pauseRequested.compareAndSet(false, true)) {
                        otherTab.pause(ticket.id()).subscribe(info -> pausedAt.tryEmitValue(sent.get()));
                    }
                });
        List<UploadEvent> events = new CopyOnWriteArrayList<>();
        var subscription = channel.subscribe(events::add);

        long atAck = pausedAt.asMono().block(TIMEOUT);
        Thread.sleep(1500);
        long afterSettle = sent.get();
        Thread.sleep(1500);
        long afterSilence = sent.get();
        UploadInfo paused = otherTab.upload(ticket.id()).block(TIMEOUT);

        assertThat(paused.state()).isEqualTo(UploadState.PAUSED);
        assertThat(paused.offset()).as("a paused upload stages what it received and holds no buffer")
                .isEqualTo(afterSilence);
        assertThat(afterSettle - atAck).as("bytes sent after the pause was acknowledged").isLessThanOrEqualTo(WINDOW);
        assertThat(afterSilence).as("no byte flows while paused").isEqualTo(afterSettle);
        assertThat(afterSilence).isLessThan(Files.size(file));
        assertThat(events).extracting(UploadEvent::type).contains(UploadEvent.Type.PAUSED);

        otherTab.resume(ticket.id()).block(TIMEOUT);
        UploadInfo done = awaitUpload(otherTab, ticket.id(), i -> i.state() == UploadState.COMPLETED, TIMEOUT);
        assertThat(done.sha256()).isEqualTo(FileTransfers.sha256(file));
        assertThat(sent.get()).as("each byte sent once").isEqualTo(Files.size(file));
        assertThat(events).extracting(UploadEvent::type).contains(UploadEvent.Type.RESUMED, UploadEvent.Type.COMPLETED);
        subscription.dispose();
    }

    @Test
    void aClientThatCompletesEarlyGetsTheNewDurableOffsetAndAStreamThatCompletes() throws Exception {
        RelayClient client = client(newUser());
        Path file = randomFile(PART + 1000, 12);
        UploadTicket ticket = client.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        long sent = 3L * CHUNK;

        // docs/protocol.md, section 4.5: the response stream ends normally, without COMPLETED, after a last
        // PROGRESS whose offset includes everything received (staged).
        List<UploadEvent> events = client.write(ticket.id(), 0, FileTransfers.read(file, 0, CHUNK).take(3))
                .collectList().block(TIMEOUT);

        assertThat(events).extracting(UploadEvent::type).doesNotContain(UploadEvent.Type.COMPLETED);
        UploadEvent last = events.get(events.size() - 1);
        assertThat(last.type()).isEqualTo(UploadEvent.Type.PROGRESS);
        assertThat(last.offset()).as("the last report's durable offset").isEqualTo(sent);
        assertThat(last.state()).isEqualTo(UploadState.ACTIVE);
        assertThat(client.upload(ticket.id()).block(TIMEOUT).offset()).isEqualTo(sent);
    }

    @Test
    void aDroppedConnectionLosesNothingTheServerReceived() throws Exception {
        AuthToken alice = newUser();
        Path file = randomFile(2 * PART + 777_777, 4);
        long size = Files.size(file);
        RelayClient first = RelayClient.connect(ws(), alice.token());
        UploadTicket ticket = first.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);

        // Send 1.5 parts, wait until the server has received them, then cut the connection.
        long cut = PART + PART / 2 + 12_345;
        Sinks.One<UploadEvent> received = Sinks.one();
        first.write(ticket.id(), 0, FileTransfers.read(file, 0, CHUNK).as(f -> limitBytes(f, cut)))
                .filter(e -> e.received() == cut)
                .subscribe(received::tryEmitValue);
        received.asMono().block(TIMEOUT);
        first.rsocket().block().dispose();

        RelayClient second = client(alice);
        UploadInfo afterCut = awaitUpload(second, ticket.id(), i -> i.offset() == cut, Duration.ofSeconds(20));
        assertThat(afterCut.offset()).as("everything received is durable: nothing to re-send").isEqualTo(cut);

        UploadInfo done = new FileTransfers(second).resume(ticket.id(), file, CHUNK, e -> { }).block(TIMEOUT);
        assertThat(done.state()).isEqualTo(UploadState.COMPLETED);
        assertThat(done.sha256()).isEqualTo(FileTransfers.sha256(file));
        assertThat(done.size()).isEqualTo(size);
    }

    @Test
    void aWriteThatStartsAtTheWrongOffsetIsRejectedWithTheServersOffset() throws Exception {
        RelayClient client = client(newUser());
        Path file = randomFile(PART, 5);
        UploadTicket ticket = client.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);

        assertThatThrownBy(() -> client.write(ticket.id(), 4096, FileTransfers.read(file, 4096, CHUNK))
                .blockLast(TIMEOUT))
                .isInstanceOf(RelayException.class)
                .satisfies(e -> {
                    RelayException re = (RelayException) e;
                    assertThat(re.code()).isEqualTo(ErrorCode.OFFSET_MISMATCH);
                    assertThat(re.offset()).isZero();
                    assertThat(re.getMessage()).contains("start writing from byte 0");
                });
        assertThat(client.upload(ticket.id()).block(TIMEOUT).offset()).isZero();
    }

    @Test
    void aChunkLargerThanAnnouncedIsRejected() throws Exception {
        RelayClient client = client(newUser());
        UploadTicket ticket = client.createUpload(new CreateUploadRequest("big.bin", 10L * CHUNK, null, null))
                .block(TIMEOUT);

        assertThatThrownBy(() -> client.write(ticket.id(), 0, Flux.just(ByteBuffer.allocate(CHUNK + 1)))
                .blockLast(TIMEOUT))
                .isInstanceOf(RelayException.class)
                .satisfies(e -> assertThat(((RelayException) e).code()).isEqualTo(ErrorCode.CHUNK_TOO_LARGE));
        assertThat(client.upload(ticket.id()).block(TIMEOUT).offset()).isZero();
    }

    @Test
    void anotherUsersUploadDoesNotExistForThem() throws Exception {
        RelayClient alice = client(newUser());
        RelayClient bob = client(newUser());
        UploadTicket ticket = alice.createUpload(new CreateUploadRequest("a.bin", 10, null, null)).block(TIMEOUT);

        for (Mono<?> attempt : List.of(bob.upload(ticket.id()), bob.pause(ticket.id()), bob.cancel(ticket.id()),
                bob.file(ticket.id()), bob.write(ticket.id(), 0, Flux.empty()).then(),
                bob.read(ticket.id(), 0).then())) {
            assertThatThrownBy(() -> attempt.block(TIMEOUT))
                    .isInstanceOf(RelayException.class)
                    .satisfies(e -> assertThat(((RelayException) e).code()).isEqualTo(ErrorCode.NOT_FOUND));
        }
        assertThat(bob.uploads().collectList().block(TIMEOUT)).isEmpty();
        assertThat(alice.upload(ticket.id()).block(TIMEOUT).state()).isEqualTo(UploadState.ACTIVE);
    }

    @Test
    void cancellingAbortsTheMultipartUploadAndClosesTheChannel() throws Exception {
        AuthToken alice = newUser();
        RelayClient client = client(alice);
        Path file = randomFile(4 * PART, 6);
        UploadTicket ticket = client.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        Sinks.One<Long> twoParts = Sinks.one();
        List<Throwable> channelError = new CopyOnWriteArrayList<>();
        client.write(ticket.id(), 0, FileTransfers.read(file, 0, CHUNK).as(f -> limitBytes(f, 2 * PART + CHUNK)))
                .subscribe(e -> {
                    if (e.offset() >= 2 * PART) {
                        twoParts.tryEmitValue(e.offset());
                    }
                }, channelError::add);
        twoParts.asMono().block(TIMEOUT);
        assertThat(multipartUploadsOf("files/" + ticket.id())).hasSize(1);

        UploadInfo cancelled = client(alice).cancel(ticket.id()).block(TIMEOUT);

        assertThat(cancelled.state()).isEqualTo(UploadState.CANCELLED);
        assertThat(multipartUploadsOf("files/" + ticket.id())).isEmpty();
        assertThat(((RelayException) awaitFirst(channelError, TIMEOUT)).code()).isEqualTo(ErrorCode.CANCELLED);
        assertThatThrownBy(() -> client.write(ticket.id(), 0, Flux.empty()).blockLast(TIMEOUT))
                .satisfies(e -> assertThat(((RelayException) e).code()).isEqualTo(ErrorCode.INVALID_STATE));
    }

    @Test
    void invalidCreateRequestsGetCodedErrors() {
        RelayClient client = client(newUser());
        assertCode(client.createUpload(new CreateUploadRequest("../etc/passwd", 1, null, null)),
                ErrorCode.INVALID_REQUEST);
        assertCode(client.createUpload(new CreateUploadRequest("", 1, null, null)), ErrorCode.INVALID_REQUEST);
        assertCode(client.createUpload(new CreateUploadRequest("a", -1, null, null)), ErrorCode.INVALID_REQUEST);
        assertCode(client.createUpload(new CreateUploadRequest("a", 1L << 50, null, null)), ErrorCode.FILE_TOO_LARGE);
        assertCode(client.createUpload(new CreateUploadRequest("a", 1, null, "xyz")), ErrorCode.INVALID_REQUEST);
        assertCode(client.upload("no-such-upload"), ErrorCode.NOT_FOUND);
    }

    @Test
    void anEmptyFileCompletes() throws Exception {
        RelayClient client = client(newUser());
        Path file = randomFile(0, 7);
        UploadInfo done = new FileTransfers(client).upload(file, null, e -> { }).block(TIMEOUT);
        assertThat(done.state()).isEqualTo(UploadState.COMPLETED);
        assertThat(done.sha256()).isEqualTo(FileTransfers.sha256(file));
        assertThat(client.read(done.id(), 0).collectList().block(TIMEOUT)).isEmpty();
    }

    static void assertCode(Mono<?> call, ErrorCode code) {
        assertThatThrownBy(() -> call.block(TIMEOUT))
                .isInstanceOf(RelayException.class)
                .satisfies(e -> assertThat(((RelayException) e).code()).isEqualTo(code));
    }

    /** The first {@code limit} bytes of a chunk stream (the last chunk cut to fit), then no completion. */
    static Flux<ByteBuffer> limitBytes(Flux<ByteBuffer> chunks, long limit) {
        AtomicLong taken = new AtomicLong();
        return chunks.handle((ByteBuffer b, reactor.core.publisher.SynchronousSink<ByteBuffer> sink) -> {
                    long room = limit - taken.get();
                    if (room <= 0) {
                        return;
                    }
                    if (b.remaining() > room) {
                        b.limit(b.position() + (int) room);
                    }
                    taken.addAndGet(b.remaining());
                    sink.next(b);
                })
                .concatWith(Mono.never());
    }
}
