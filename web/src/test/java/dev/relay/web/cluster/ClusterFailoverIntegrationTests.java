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
import dev.relay.web.support.Haproxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
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
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static dev.relay.web.support.ServiceIntegrationTest.CHUNK;
import static dev.relay.web.support.ServiceIntegrationTest.PART;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two nodes (child processes on the shared database and S3 server) behind the machine's HAProxy with
 * deploy/haproxy.cfg, and a client reaching HAProxy through a TCP proxy the test cuts mid-upload. The client's
 * reconnect goes round robin to the other node, which resumes from the durable offset: what the first node received,
 * which it stored when its connection ended.
 */
class ClusterFailoverIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** Two JVMs starting at once on a small machine, maybe busy. */
    private static final Duration START = Duration.ofMinutes(3);
    private static final AtomicInteger STARTS = new AtomicInteger();

    private final List<Process> nodes = new ArrayList<>();
    private final Map<Integer, Process> byPort = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void stopEverything() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        nodes.forEach(Process::destroyForcibly);
    }

    @Test
    void anUploadCutMidwayResumesThroughHaproxyOnTheOtherNodeResendingAtMostOneChunk() throws Exception {
        CompletableFuture<Integer> a = CompletableFuture.supplyAsync(this::startNode);
        CompletableFuture<Integer> b = CompletableFuture.supplyAsync(this::startNode);
        Haproxy haproxy = close(Haproxy.start(Path.of("target", "haproxy-failover"), TIMEOUT, a.join(), b.join()));
        TcpProxy network = close(new TcpProxy(haproxy.port()));
        AuthToken alice = new RelayAuth(URI.create(network.url()))
                .register("lb" + System.nanoTime() % 1_000_000, "long enough pw").block(TIMEOUT);
        Path file = TestFiles.random(2 * PART + 12_345, 91);
        String sha256 = FileTransfers.sha256(file);
        RelayClient client = close(RelayClient.connect(URI.create("ws://127.0.0.1:" + network.port() + "/rsocket"),
                alice.token()));
        UploadTicket ticket = client.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        String first = holderOfTheConnection(haproxy);

        // 1. The first node receives a part and 2 MiB more (slowly, so the test sees it), then the network drops.
        long cutAfter = PART + 2 * 1024 * 1024;
        network.throttle(4L * 1024 * 1024);
        AtomicLong sent = new AtomicLong();
        Sinks.One<UploadEvent> received = Sinks.one();
        Disposable write = client.write(ticket.id(), 0, FileTransfers.read(file, 0, CHUNK)
                        .doOnNext(chunk -> sent.addAndGet(chunk.remaining())))
                .subscribe(e -> {
                    if (e.received() >= cutAfter) {
                        received.tryEmitValue(e);
                    }
                }, e -> { });
        received.asMono().block(TIMEOUT);
        network.cutConnections();
        write.dispose();
        long sentBeforeCut = sent.get();
        network.throttle(0);

        // 2. The client reconnects: HAProxy sends the new connection to the other node. The first node stores what it
        //    received once it sees its connection end, a moment later; the test waits for that (a client resuming
        //    sooner starts from the last stored part: correct, but more is sent again).
        UploadInfo resumedAt = awaitOffsetAtLeast(client, ticket.id(), cutAfter);
        String second = holderOfTheConnection(haproxy);
        assertThat(second).as("the reconnect's node").isNotEqualTo(first);

        UploadInfo done = new FileTransfers(client).resume(ticket.id(), file, CHUNK, e -> { }).block(TIMEOUT);
        assertThat(done.state()).isEqualTo(UploadState.COMPLETED);
        assertThat(done.sha256()).isEqualTo(sha256);
        assertThat(sha256Of(client.read(ticket.id(), 0))).as("the digest of the stored file").isEqualTo(sha256);
        System.out.printf("[cluster] %s received up to the cut, %s the rest; %d bytes sent before the cut, durable"
                + " offset %d after it, %d sent twice%n", first, second, sentBeforeCut, resumedAt.offset(),
                sentBeforeCut - resumedAt.offset());
        assertThat(sentBeforeCut - resumedAt.offset()).as("bytes sent twice").isLessThanOrEqualTo(CHUNK);

        // Both nodes carried upload bytes: the first up to the cut, the second the rest (HAProxy counts a session's
        // bytes when it ends).
        client.close();
        Map<String, Haproxy.Server> servers = haproxy.servers();
        for (long deadline = System.nanoTime() + TIMEOUT.toNanos();
             servers.values().stream().anyMatch(s -> s.currentSessions() > 0) && System.nanoTime() < deadline; ) {
            Thread.sleep(50);
            servers = haproxy.servers();
        }
        assertThat(servers.get(first).bytesIn()).as("bytes through " + first).isGreaterThanOrEqualTo(cutAfter);
        assertThat(servers.get(second).bytesIn()).as("bytes through " + second)
                .isGreaterThanOrEqualTo(done.size() - resumedAt.offset());
    }

    /**
     * SIGKILL of the node holding an upload's channel (nothing staged): the client reconnects through HAProxy, which
     * sends it to the node still alive, and resumes from the last recorded part.
     */
    @Test
    void theNodeHoldingAnUploadKilledMidwayTheClientResumesThroughHaproxyOnTheOtherResendingAtMostOnePart()
            throws Exception {
        CompletableFuture<Integer> a = CompletableFuture.supplyAsync(this::startNode);
        CompletableFuture<Integer> b = CompletableFuture.supplyAsync(this::startNode);
        int[] ports = {a.join(), b.join()};
        Haproxy haproxy = close(Haproxy.start(Path.of("target", "haproxy-kill"), TIMEOUT, ports));
        URI http = URI.create("http://127.0.0.1:" + haproxy.port());
        AuthToken alice = new RelayAuth(http).register("kl" + System.nanoTime() % 1_000_000, "long enough pw")
                .block(TIMEOUT);
        Path file = TestFiles.random(3 * PART + 4321, 92);
        String sha256 = FileTransfers.sha256(file);
        RelayClient client = close(RelayClient.connect(URI.create("ws://127.0.0.1:" + haproxy.port() + "/rsocket"),
                alice.token()));
        UploadTicket ticket = client.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        client.limit(ticket.id(), 4_000_000L).block(TIMEOUT); // slow enough to kill it midway
        String first = holderOfTheConnection(haproxy);

        AtomicLong sent = new AtomicLong();
        Sinks.One<UploadEvent> onePartDurable = Sinks.one();
        Disposable write = client.write(ticket.id(), 0, FileTransfers.read(file, 0, CHUNK)
                        .doOnNext(chunk -> sent.addAndGet(chunk.remaining())))
                .subscribe(e -> {
                    if (e.offset() >= PART && e.received() >= PART + 1024 * 1024) {
                        onePartDurable.tryEmitValue(e);
                    }
                }, e -> { });
        onePartDurable.asMono().block(TIMEOUT);
        byPort.get(ports[Integer.parseInt(first.substring("node".length())) - 1]).destroyForcibly()
                .waitFor(30, TimeUnit.SECONDS);
        long sentBeforeKill = sent.get();
        write.dispose();

        UploadInfo resumedAt = awaitOffsetAtLeast(client, ticket.id(), PART);
        UploadInfo done = new FileTransfers(client).resume(ticket.id(), file, CHUNK, e -> { }).block(TIMEOUT);
        assertThat(holderOfTheConnection(haproxy)).as("the reconnect's node").isNotEqualTo(first);
        assertThat(done.state()).isEqualTo(UploadState.COMPLETED);
        assertThat(sha256Of(client.read(ticket.id(), 0))).as("the digest of the stored file").isEqualTo(sha256);
        assertThat(sentBeforeKill - resumedAt.offset()).as("bytes sent twice after a kill").isLessThanOrEqualTo(PART);
    }

    /** The server holding the client's one open connection, by HAProxy's count of current sessions. */
    private static String holderOfTheConnection(Haproxy haproxy) throws Exception {
        Map<String, Haproxy.Server> servers = haproxy.servers();
        List<String> holders = servers.values().stream().filter(s -> s.currentSessions() > 0)
                .map(Haproxy.Server::name).toList();
        assertThat(holders).as("servers with a session: " + servers).hasSize(1);
        return holders.get(0);
    }

    /**
     * Polls (through HAProxy) until the durable offset reaches {@code offset}; a request that meets the dropped
     * connection fails, and the next one reconnects.
     */
    private static UploadInfo awaitOffsetAtLeast(RelayClient client, String id, long offset) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        UploadInfo info = null;
        while ((info == null || info.offset() < offset) && System.nanoTime() < deadline) {
            try {
                info = client.upload(id).block(TIMEOUT);
            } catch (RuntimeException e) {
                // The old connection, closing.
            }
            Thread.sleep(50);
        }
        assertThat(info).isNotNull();
        assertThat(info.offset()).as("durable offset after the cut").isGreaterThanOrEqualTo(offset);
        return info;
    }

    private static String sha256Of(Flux<ByteBuffer> content) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        content.doOnNext(digest::update).blockLast(TIMEOUT);
        return HexFormat.of().formatHex(digest.digest());
    }

    private <T extends AutoCloseable> T close(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    /** A node with 5 MiB parts and a window of one chunk. */
    private int startNode() {
        try {
            int port = ChildService.freePort();
            Process node = ChildService.start(port, Path.of("target", "failover-node-" + STARTS.incrementAndGet()
                    + ".log"), START, List.of("--relay.transfer.part-size=5MB",
                    "--relay.transfer.max-chunk-size=256KB", "--relay.transfer.credit-window=256KB",
                    "--relay.transfer.credit-window-max=256KB"));
            synchronized (nodes) {
                nodes.add(node);
            }
            byPort.put(port, node);
            return port;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
