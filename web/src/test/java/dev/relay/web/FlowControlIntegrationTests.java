package dev.relay.web;

import dev.relay.api.ErrorCode;
import dev.relay.api.Routes;
import dev.relay.api.UploadState;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTelemetry;
import dev.relay.api.wire.UploadTicket;
import dev.relay.api.wire.WriteStart;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import dev.relay.streaming.port.UploadRepository;
import dev.relay.streaming.upload.ObjectKeys;
import dev.relay.streaming.upload.UploadExpiry;
import dev.relay.web.support.ServiceIntegrationTest;
import dev.relay.infra.testing.TestServices;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.netty.buffer.Unpooled;
import io.rsocket.Payload;
import io.rsocket.exceptions.ApplicationErrorException;
import io.rsocket.util.ByteBufPayload;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Credit enforcement, writer takeover and expiry. */
class FlowControlIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Autowired
    UploadExpiry expiry;

    @Autowired
    private UploadRepository uploads;

    @Test
    void aClientThatSendsBeyondItsCreditIsStoppedWithCreditExceeded() {
        RelayClient client = client(newUser());
        UploadTicket ticket = client.createUpload(new CreateUploadRequest("flood.bin", 64L * CHUNK, null, null))
                .block(TIMEOUT);
        // A requester that ignores request-n: it pushes 32 chunks at once, far beyond the 4-chunk window.
        Flux<Payload> flood = Flux.create(sink -> {
            sink.next(RelayClient.payload(Routes.of(Routes.UPLOAD_WRITE, ticket.id()), new WriteStart(0)));
            for (int i = 0; i < 32; i++) {
                sink.next(ByteBufPayload.create(Unpooled.wrappedBuffer(new byte[CHUNK])));
            }
        }, FluxSink.OverflowStrategy.IGNORE);

        // The service counts payloads against the REQUEST_N frames it sent and answers the first one beyond them.
        assertThatThrownBy(() -> client.rsocket().flatMapMany(r -> r.requestChannel(flood)).blockLast(TIMEOUT))
                .isInstanceOf(ApplicationErrorException.class)
                .hasMessageContaining("\"code\":\"CREDIT_EXCEEDED\"");
        UploadInfo info = client.upload(ticket.id()).block(TIMEOUT);
        assertThat(info.state()).isEqualTo(UploadState.ACTIVE);
        // What was received within credit is kept, in whole chunks, and the upload stays open.
        assertThat(info.offset()).as("what was received within credit is kept").isLessThan(32L * CHUNK)
                .satisfies(offset -> assertThat(offset % CHUNK).isZero());
    }

    @Test
    void aNewWriteChannelTakesOverFromAStaleOne() throws Exception {
        AuthToken alice = newUser();
        RelayClient stale = client(alice);
        Path file = randomFile(2 * PART + 5, 31);
        UploadTicket ticket = stale.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        long first = PART / 2;
        Sinks.One<Long> halfway = Sinks.one();
        List<Throwable> staleError = new CopyOnWriteArrayList<>();
        stale.write(ticket.id(), 0, FileTransfers.read(file, 0, CHUNK).as(f -> UploadIntegrationTests.limitBytes(f,
                        first)))
                .subscribe(e -> {
                    if (e.received() == first) {
                        halfway.tryEmitValue(e.received());
                    }
                }, staleError::add);
        halfway.asMono().block(TIMEOUT);

        // The stale channel is still open (its client went quiet); a second one starts from the durable offset.
        RelayClient fresh = client(alice);
        UploadInfo done = new FileTransfers(fresh).resume(ticket.id(), file, CHUNK, e -> { }).block(TIMEOUT);

        assertThat(done.state()).isEqualTo(UploadState.COMPLETED);
        assertThat(done.sha256()).isEqualTo(FileTransfers.sha256(file));
        assertThat(((RelayException) awaitFirst(staleError, TIMEOUT)).code()).isEqualTo(ErrorCode.TAKEN_OVER);
    }

    @Test
    void idleUploadsExpireAndLeaveNoMultipartUploadBehind() throws Exception {
        AuthToken alice = newUser();
        RelayClient client = client(alice);
        Path file = randomFile(3 * PART, 32);
        UploadTicket ticket = client.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        Sinks.One<UploadEvent> onePart = Sinks.one();
        client.write(ticket.id(), 0, FileTransfers.read(file, 0, CHUNK).as(f -> UploadIntegrationTests.limitBytes(f,
                        PART + CHUNK)))
                // A part durable and the chunk after it received (with one part buffer, that chunk is granted only
                // once the part is recorded): the cut then leaves exactly that chunk to stage.
                .filter(e -> e.offset() >= PART && e.received() == PART + CHUNK)
                .subscribe(onePart::tryEmitValue, e -> { });
        onePart.asMono().block(TIMEOUT);
        client.rsocket().block().dispose();
        RelayClient later = client(alice);
        awaitUpload(later, ticket.id(), i -> i.offset() == PART + CHUNK, TIMEOUT);
        assertThat(multipartUploadsOf("files/" + ticket.id())).hasSize(1);
        String tail = ObjectKeys.tail(uploads.find(ticket.id()).block(TIMEOUT));
        assertThat(s3().statObject(StatObjectArgs.builder().bucket(TestServices.get().s3Bucket()).object(tail)
                .build()).size()).as("the staged chunk").isEqualTo(CHUNK);

        UploadExpiry.Result result = expiry.sweep(Instant.now().plus(Duration.ofHours(25))).block(TIMEOUT);

        assertThat(result.expired()).isGreaterThanOrEqualTo(1);
        assertThat(later.upload(ticket.id()).block(TIMEOUT).state()).isEqualTo(UploadState.EXPIRED);
        assertThat(multipartUploadsOf("files/" + ticket.id())).isEmpty();
        assertThatThrownBy(() -> s3().statObject(StatObjectArgs.builder().bucket(TestServices.get().s3Bucket())
                .object(tail).build()))
                .as("the staged tail is deleted")
                .isInstanceOf(ErrorResponseException.class)
                .hasMessageContaining("does not exist");
    }

    @Test
    void aRateCapPacesCreditAndTelemetryShowsCreditStoppingOnPause() throws Exception {
        AuthToken alice = newUser();
        RelayClient client = client(alice);
        long size = 3L * 1024 * 1024;
        long cap = 1024 * 1024;
        Path file = randomFile(size, 77);
        UploadTicket ticket = client.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        assertThat(client.limit(ticket.id(), cap).block(TIMEOUT).id()).isEqualTo(ticket.id());
        List<UploadTelemetry> samples = new CopyOnWriteArrayList<>();
        var watching = client.telemetry(ticket.id()).subscribe(samples::add);

        long start = System.nanoTime();
        List<UploadEvent> events = new CopyOnWriteArrayList<>();
        var upload = new FileTransfers(client).resume(ticket.id(), file, CHUNK, events::add).toFuture();
        // Pause half-way: credit stops (the cumulative grant count no longer moves), then resume.
        waitFor(samples, t -> t.received() >= size / 3);
        client.pause(ticket.id()).block(TIMEOUT);
        List<UploadTelemetry> paused = waitFor(samples, t -> t.state() == UploadState.PAUSED
                && t.outstandingCredits() == 0, 4);
        assertThat(paused).extracting(UploadTelemetry::creditsGranted).as("no grants while paused")
                .containsOnly(paused.get(0).creditsGranted());
        long pausedAt = paused.get(paused.size() - 1).received();
        client.resume(ticket.id()).block(TIMEOUT);
        UploadInfo done = upload.get(TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - start) / 1e9;
        watching.dispose();

        assertThat(done.state()).isEqualTo(UploadState.COMPLETED);
        assertThat(pausedAt).isLessThan(size);
        // Unpaced, 3 MiB cross loopback in a fraction of a second; at 1 MiB/s with a quarter second of burst it
        // takes at least 2.75 s (plus the pause).
        assertThat(seconds).as("upload time under a 1 MiB/s cap").isGreaterThan(2.5);
        assertThat(samples).anySatisfy(t -> {
            assertThat(t.channelOpen()).isTrue();
            assertThat(t.limitBytesPerSecond()).isEqualTo(cap);
            assertThat(t.windowBytes()).isPositive();
            assertThat(t.bufferCapacity()).isPositive();
        });
        ChatIntegrationTests.assertCode(client.limit(ticket.id(), -1L), ErrorCode.INVALID_REQUEST);
        ChatIntegrationTests.assertCode(client.limit(ticket.id(), cap), ErrorCode.INVALID_STATE);
    }

    /** Waits until {@code count} consecutive samples satisfy the condition; returns them. */
    private static List<UploadTelemetry> waitFor(List<UploadTelemetry> samples,
                                                 java.util.function.Predicate<UploadTelemetry> condition, int count) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            List<UploadTelemetry> copy = List.copyOf(samples);
            int run = 0;
            for (int i = copy.size() - 1; i >= 0 && condition.test(copy.get(i)); i--) {
                run++;
            }
            if (run >= count) {
                return copy.subList(copy.size() - run, copy.size());
            }
            Mono.delay(Duration.ofMillis(50)).block();
        }
        throw new AssertionError("No " + count + " consecutive matching samples; got " + samples);
    }

    private static List<UploadTelemetry> waitFor(List<UploadTelemetry> samples,
                                                 java.util.function.Predicate<UploadTelemetry> condition) {
        return waitFor(samples, condition, 1);
    }
}
