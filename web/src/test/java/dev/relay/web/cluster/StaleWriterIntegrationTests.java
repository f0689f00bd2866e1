package dev.relay.web.cluster;

import dev.relay.api.UploadState;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayAuth;
import dev.relay.client.RelayClient;
import dev.relay.infra.testing.TcpProxy;
import dev.relay.infra.testing.TestFiles;
import dev.relay.web.support.ChildService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.relay.web.support.ServiceIntegrationTest.CHUNK;
import static dev.relay.web.support.ServiceIntegrationTest.PART;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two service processes (nodes A and B) on one database and one S3 server. A client's connection to A dies silently
 * (a half-open connection: the test's TCP proxy becomes a black hole), and the client resumes on B. A still holds its
 * write session, and ends it only later, when it learns that its connection is gone; what A then writes to S3 must
 * never reach the file that B completes.
 */
class StaleWriterIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final AtomicInteger STARTS = new AtomicInteger();

    private final List<Process> nodes = new ArrayList<>();
    private final List<RelayClient> clients = new ArrayList<>();
    private final List<TcpProxy> proxies = new ArrayList<>();

    @AfterEach
    void stopEverything() throws Exception {
        clients.forEach(RelayClient::close);
        for (TcpProxy proxy : proxies) {
            proxy.close();
        }
        nodes.forEach(Process::destroyForcibly);
    }

    @Test
    void aStaleNodeThatStagesItsPartialPartAfterATakeoverCannotChangeTheCompletedFile() throws Exception {
        int portA = start();
        int portB = start();
        TcpProxy toA = new TcpProxy(portA);
        proxies.add(toA);
        AuthToken alice = new RelayAuth(URI.create("http://127.0.0.1:" + portA))
                .register("stale" + System.nanoTime() % 1_000_000, "long enough pw").block(TIMEOUT);
        Path file = TestFiles.random(3 * PART + 12_345, 77);
        String sha256 = FileTransfers.sha256(file);

        // 1. Node A receives 3 MiB of the first part (nothing durable yet), then its connection goes silent.
        RelayClient throughA = connect(ws(toA.port()), alice);
        UploadTicket ticket = throughA.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        long onA = 3L * 1024 * 1024;
        Sinks.One<UploadEvent> aReceived = Sinks.one();
        throughA.write(ticket.id(), 0, firstBytesThenSilence(file, onA))
                .subscribe(e -> {
                    if (e.received() == onA) {
                        aReceived.tryEmitValue(e);
                    }
                }, e -> { });
        aReceived.asMono().block(TIMEOUT);
        toA.blackHole();

        // 2. The client resumes on node B from the durable offset (0): B stores the first part and, when this
        //    channel ends a MiB into the second part, stages that MiB.
        RelayClient onB = connect(ws(portB), alice);
        assertThat(onB.upload(ticket.id()).block(TIMEOUT).offset()).isZero();
        long sentToB = PART + 1024 * 1024;
        onB.write(ticket.id(), 0, FileTransfers.read(file, 0, CHUNK).take(sentToB / CHUNK)).blockLast(TIMEOUT);
        UploadInfo staged = onB.upload(ticket.id()).block(TIMEOUT);
        assertThat(staged.offset()).as("B's part and its staged MiB are durable").isEqualTo(sentToB);

        // 3. A learns that its connection is gone and ends its session, staging the 3 MiB it holds.
        RelayClient watchA = connect(ws(portA), alice);
        toA.cutConnections();
        watchA.telemetry(ticket.id()).filter(t -> !t.channelOpen()).next().block(TIMEOUT);

        // 4. The client finishes on B: the file must hold exactly the client's bytes.
        UploadInfo done = new FileTransfers(onB).resume(ticket.id(), file, CHUNK, e -> { }).block(TIMEOUT);
        assertThat(done.state()).isEqualTo(UploadState.COMPLETED);
        assertThat(done.sha256()).as("the digest of what the client sent").isEqualTo(sha256);
        assertThat(sha256Of(onB.read(ticket.id(), 0))).as("the digest of the stored file").isEqualTo(sha256);
    }

    /** The file's first {@code bytes}, then a channel that stays open and sends nothing more. */
    private static Flux<ByteBuffer> firstBytesThenSilence(Path file, long bytes) {
        return FileTransfers.read(file, 0, CHUNK).take(bytes / CHUNK).concatWith(Flux.never());
    }

    private static String sha256Of(Flux<ByteBuffer> content) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        content.doOnNext(digest::update).blockLast(TIMEOUT);
        return HexFormat.of().formatHex(digest.digest());
    }

    private static URI ws(int port) {
        return URI.create("ws://127.0.0.1:" + port + "/rsocket");
    }

    private RelayClient connect(URI ws, AuthToken token) {
        RelayClient client = RelayClient.connect(ws, token.token());
        clients.add(client);
        return client;
    }

    /** A node with 5 MiB parts and a window of one chunk, on the shared test database and S3 server. */
    private int start() throws Exception {
        int port = ChildService.freePort();
        Path log = Path.of("target", "cluster-node-" + STARTS.incrementAndGet() + ".log");
        nodes.add(ChildService.start(port, log, TIMEOUT, List.of("--relay.transfer.part-size=5MB",
                "--relay.transfer.max-chunk-size=256KB", "--relay.transfer.credit-window=256KB",
                "--relay.transfer.credit-window-max=256KB")));
        return port;
    }
}
