package dev.relay.web.cluster;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.Event;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTelemetry;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayAuth;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import dev.relay.infra.testing.TcpProxy;
import dev.relay.infra.testing.TestFiles;
import dev.relay.web.support.ChildService;
import dev.relay.web.support.EventProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import reactor.core.Disposable;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static dev.relay.web.support.ServiceIntegrationTest.CHUNK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Two service processes (nodes A and B) on one database, one S3 server and Redis (through a TCP proxy, so a test can
 * take Redis away): verbs on an upload reach the node that holds its write channel, and chat events reach users on
 * the other node, with Redis and, within a bounded delay, without it. The nodes start once (two JVMs take a while on
 * two cores); the tests run in order, those that take Redis away last.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long WINDOW = 256 * 1024;
    private static final AtomicInteger STARTS = new AtomicInteger();
    private static final String ADMIN = "clusteradmin" + System.nanoTime() % 1_000_000;
    private static final int MESSAGE_BURST = 5;
    /** This run's cluster: another run, or a benchmark, may share the Redis. */
    private static final String CLUSTER = "test-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);

    private final List<Process> nodes = new ArrayList<>();
    private final List<RelayClient> clients = new ArrayList<>();
    private TcpProxy redis;
    private int portA;
    private int portB;

    @BeforeAll
    void startTwoNodes() throws Exception {
        redis = new TcpProxy(6379);
        portA = start("a");
        portB = start("b");
    }

    @AfterEach
    void closeClients() {
        clients.forEach(RelayClient::close);
        clients.clear();
    }

    @AfterAll
    void stopEverything() throws Exception {
        nodes.forEach(Process::destroyForcibly);
        redis.close();
    }

    @Test
    @Order(1)
    void aPauseThroughTheOtherNodeStopsCreditWithinOneWindowAndAResumeThereRestartsTheSameChannel() throws Exception {
        pauseAndResumeThroughB(false);
    }

    @Test
    @Order(5)
    void withoutRedisAPauseThroughTheOtherNodeStillStopsCreditWithinSeconds() throws Exception {
        pauseAndResumeThroughB(true);
    }

    private void pauseAndResumeThroughB(boolean redisDown) throws Exception {
        AuthToken alice = register(portA, "ca");
        Path file = TestFiles.random(12L * 1024 * 1024, 5);
        RelayClient onA = connect(portA, alice);
        RelayClient onB = connect(portB, alice);
        UploadTicket ticket = onA.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
        onA.limit(ticket.id(), 2_000_000L).block(TIMEOUT); // slow enough to act in the middle
        AtomicLong sent = new AtomicLong();
        List<UploadInfo> done = new ArrayList<>();
        Disposable upload = onA.write(ticket.id(), 0, FileTransfers.read(file, 0, CHUNK)
                        .doOnNext(b -> sent.addAndGet(b.remaining())))
                .then(onA.upload(ticket.id()))
                .subscribe(done::add, e -> { });
        await("a MiB sent", () -> sent.get() >= 1024 * 1024);
        if (redisDown) {
            redis.close();
        } else {
            // A rate cap set through B is followed by the channel on A.
            onB.limit(ticket.id(), 500_000L).block(TIMEOUT);
            Thread.sleep(300);
            long capped = sent.get();
            Thread.sleep(2000);
            assertThat(sent.get() - capped).as("bytes in 2 s under a cap of 500 kB/s set through the other node")
                    .isLessThanOrEqualTo(2 * 500_000L + WINDOW + CHUNK).isPositive();
            // Telemetry asked of B streams the counters of A's channel (the database knows no credit or cap).
            UploadTelemetry fromB = onB.telemetry(ticket.id()).filter(UploadTelemetry::channelOpen)
                    .blockFirst(Duration.ofSeconds(10));
            assertThat(fromB).as("a sample of the open channel on A").isNotNull();
            assertThat(fromB.creditsGranted()).isPositive();
            assertThat(fromB.limitBytesPerSecond()).isEqualTo(500_000L);
        }

        UploadInfo paused = onB.pause(ticket.id()).block(TIMEOUT);
        long atAck = sent.get();
        assertThat(paused.state()).isEqualTo(UploadState.PAUSED);
        long bound = redisDown ? WINDOW + 2 * CHUNK + 4 * 2_000_000L : WINDOW + CHUNK;
        // Redis down: the holder re-reads its uploads every 2 s, and credit goes on at 2 MB/s until then.
        Thread.sleep(redisDown ? 5000 : 1500);
        long afterPause = sent.get();
        assertThat(afterPause - atAck).as("bytes sent after the pause was acknowledged").isLessThanOrEqualTo(bound);
        Thread.sleep(1000);
        assertThat(sent.get()).as("credit stopped").isEqualTo(afterPause);
        assertThat(onA.upload(ticket.id()).block(TIMEOUT).state()).isEqualTo(UploadState.PAUSED);

        onB.limit(ticket.id(), 0L).block(TIMEOUT);
        onB.resume(ticket.id()).block(TIMEOUT);
        await("the same channel to finish", () -> !done.isEmpty());
        assertThat(done.get(0).state()).isEqualTo(UploadState.COMPLETED);
        assertThat(done.get(0).sha256()).isEqualTo(FileTransfers.sha256(file));
        upload.dispose();
    }

    @Test
    @Order(4)
    void messagesBetweenNodesArriveInOrderWithoutGapsOrDuplicatesAcrossARedisOutageAndARestart() throws Exception {
        AuthToken alice = register(portA, "ma");
        AuthToken bob = register(portB, "mb");
        RelayClient aliceOnA = connect(portA, alice);
        RelayClient bobOnB = connect(portB, bob);
        String bobId = bobOnB.me().block(TIMEOUT).id();
        BlockingQueue<Event> bobHears = new LinkedBlockingQueue<>();
        Disposable stream = bobOnB.events(null).filter(e -> e.type() == Event.Type.MESSAGE)
                .subscribe(bobHears::add, e -> { });
        Thread.sleep(500); // the stream is subscribed on B

        long sentAt = System.nanoTime();
        aliceOnA.sendText(bobId, "through redis").block(TIMEOUT);
        Event first = bobHears.poll(10, TimeUnit.SECONDS);
        assertThat(first).as("delivered through Redis").isNotNull();
        assertThat(first.message().text()).isEqualTo("through redis");
        assertThat(System.nanoTime() - sentAt).as("through Redis, at once").isLessThan(2_000_000_000L);

        // A 5 s outage: two messages sent meanwhile, one after.
        redis.close();
        aliceOnA.sendText(bobId, "during the outage 1").block(TIMEOUT);
        aliceOnA.sendText(bobId, "during the outage 2").block(TIMEOUT);
        Thread.sleep(5000);
        redis = TcpProxy.listeningOn(redis.port(), 6379);
        aliceOnA.sendText(bobId, "after the outage").block(TIMEOUT);

        // A restart: Redis comes back empty (it keeps nothing on disk). The last message goes out while it is down,
        // with nothing after it to show a gap: it arrives when B's subscriptions come back, not at a position check
        // (these nodes' is ten minutes away).
        redis.close();
        forgetEverythingInRedis();
        aliceOnA.sendText(bobId, "during the restart").block(TIMEOUT);
        redis = TcpProxy.listeningOn(redis.port(), 6379);

        List<Event> heard = new ArrayList<>(List.of(first));
        while (heard.size() < 5) {
            Event next = bobHears.poll(15, TimeUnit.SECONDS);
            assertThat(next).as("message " + (heard.size() + 1) + " of 5").isNotNull();
            heard.add(next);
        }
        assertThat(heard).extracting(e -> e.message().text()).containsExactly("through redis",
                "during the outage 1", "during the outage 2", "after the outage", "during the restart");
        assertThat(heard).extracting(Event::id).as("consecutive: no gap, no duplicate")
                .containsExactly(first.id(), first.id() + 1, first.id() + 2, first.id() + 3, first.id() + 4);
        assertThat(bobHears.poll(1, TimeUnit.SECONDS)).as("no duplicate").isNull();
        await("alice's presence put back after the restart", () -> Boolean.TRUE.equals(
                bobOnB.searchUsers(alice.username()).blockFirst(TIMEOUT).online()));
        stream.dispose();
    }

    /** What a Redis restart loses: every key of Relay's. */
    private static void forgetEverythingInRedis() {
        io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create("redis://127.0.0.1:6379");
        try (var connection = client.connect()) {
            List<String> keys = connection.sync().keys("relay:" + CLUSTER + ":*");
            if (!keys.isEmpty()) {
                connection.sync().del(keys.toArray(String[]::new));
            }
        } finally {
            client.shutdown();
        }
    }

    @Test
    @Order(2)
    void disablingAUserThroughOneNodeClosesTheirConnectionOnTheOther() throws Exception {
        AuthToken admin = new RelayAuth(URI.create("http://127.0.0.1:" + portB)).login(ADMIN, "long enough pw")
                .block(TIMEOUT);
        AuthToken bob = register(portA, "rb");
        RelayClient bobOnA = connect(portA, bob);
        String bobId = bobOnA.me().block(TIMEOUT).id();
        io.rsocket.RSocket bobsConnection = bobOnA.rsocket().block(TIMEOUT);

        connect(portB, admin).disableUser(bobId).block(TIMEOUT);
        bobsConnection.onClose().onErrorComplete().block(Duration.ofSeconds(10));
        assertThat(bobsConnection.isDisposed()).as("bob's connection on node A is closed").isTrue();
    }

    /** Redis keeps nothing durable: a node that starts while it is down serves uploads all the same. */
    @Test
    @Order(6)
    void aNodeStartsAndServesWhileRedisIsDownAndItsStreamsCatchUpFromTheLog() throws Exception {
        redis.close();
        int portC = start("c", "--relay.cluster.position-check-interval=2s");
        AuthToken carol = register(portC, "rc");
        RelayClient onC = connect(portC, carol);
        Path file = TestFiles.random(6L * 1024 * 1024 + 5, 6);
        UploadInfo done = new FileTransfers(onC).upload(file, null, e -> { }).block(TIMEOUT);
        assertThat(done.state()).isEqualTo(UploadState.COMPLETED);
        assertThat(done.sha256()).isEqualTo(FileTransfers.sha256(file));

        // A message from node A cannot cross without Redis, and C never had a connection to lose: the periodic
        // position check brings it.
        BlockingQueue<Event> carolHears = new LinkedBlockingQueue<>();
        Disposable stream = onC.events(null).filter(e -> e.type() == Event.Type.MESSAGE)
                .subscribe(carolHears::add, e -> { });
        Thread.sleep(500);
        connect(portA, register(portA, "rd")).sendText(carol.userId(), "no redis").block(TIMEOUT);
        Event heard = carolHears.poll(15, TimeUnit.SECONDS);
        assertThat(heard).as("delivered from the log by C's position check").isNotNull();
        assertThat(heard.message().text()).isEqualTo("no redis");
        stream.dispose();
    }

    /**
     * A client whose connection to A died silently resumes on B at once: B has A hand the upload over first (A stages
     * what it received), so the client re-sends only what the dead connection swallowed.
     */
    @Test
    @Order(2)
    void aClientResumingOnAnotherNodeAfterASilentDropReSendsOnlyWhatWasInFlight() throws Exception {
        AuthToken alice = register(portA, "ha");
        Path file = TestFiles.random(8L * 1024 * 1024 + 77, 8);
        try (TcpProxy toA = new TcpProxy(portA)) {
            RelayClient throughProxy = connect(toA.port(), alice);
            UploadTicket ticket = throughProxy.createUpload(FileTransfers.describe(file, null)).block(TIMEOUT);
            throughProxy.limit(ticket.id(), 2_000_000L).block(TIMEOUT);
            AtomicLong sentToA = new AtomicLong();
            throughProxy.write(ticket.id(), 0, FileTransfers.read(file, 0, CHUNK)
                            .doOnNext(b -> sentToA.addAndGet(b.remaining())))
                    .subscribe(e -> { }, e -> { });
            await("3 MiB sent to A", () -> sentToA.get() >= 3L * 1024 * 1024);
            toA.blackHole();

            RelayClient onB = connect(portB, alice);
            long offsetSeen = onB.upload(ticket.id()).block(TIMEOUT).offset();
            assertThat(offsetSeen).as("nothing durable yet: A holds a partial part").isZero();
            RelayException handedOver = catchThrowableOfType(() -> onB.write(ticket.id(), offsetSeen,
                    FileTransfers.read(file, offsetSeen, CHUNK)).blockLast(TIMEOUT), RelayException.class);
            assertThat(handedOver).as("A handed over what it received before B's channel opened").isNotNull();
            assertThat(handedOver.code()).isEqualTo(ErrorCode.OFFSET_MISMATCH);
            long durable = handedOver.offset();
            assertThat(durable).isPositive();
            assertThat(sentToA.get() - durable).as("bytes to send again").isLessThanOrEqualTo(CHUNK);

            UploadInfo done = new FileTransfers(onB).resume(ticket.id(), file, CHUNK, e -> { }).block(TIMEOUT);
            assertThat(done.state()).isEqualTo(UploadState.COMPLETED);
            assertThat(done.sha256()).isEqualTo(FileTransfers.sha256(file));
        }
    }

    /** One bucket per user (messages) and per account (logins), whichever node each request goes through. */
    @Test
    @Order(2)
    void rateLimitsAreSharedByTheNodes() {
        AuthToken alice = register(portA, "la");
        AuthToken bob = register(portA, "lb");
        List<RelayClient> both = List.of(connect(portA, alice), connect(portB, alice));
        for (int i = 0; i < MESSAGE_BURST; i++) {
            both.get(i % 2).sendText(bob.userId(), "m" + i).block(TIMEOUT);
        }
        RelayException limited = catchThrowableOfType(() -> both.get(MESSAGE_BURST % 2)
                .sendText(bob.userId(), "one too many").block(TIMEOUT), RelayException.class);
        assertThat(limited).as("the burst is for both nodes together").isNotNull();
        assertThat(limited.code()).isEqualTo(ErrorCode.RATE_LIMITED);

        List<RelayAuth> nodesAuth = List.of(new RelayAuth(URI.create("http://127.0.0.1:" + portA)),
                new RelayAuth(URI.create("http://127.0.0.1:" + portB)));
        for (int i = 0; i < 10; i++) {
            RelayException wrong = catchThrowableOfType(() -> nodesAuth.get(0).login(bob.username(), "wrong password")
                    .block(TIMEOUT), RelayException.class);
            assertThat(wrong.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        }
        RelayException throttled = catchThrowableOfType(() -> nodesAuth.get(1).login(bob.username(), "long enough pw")
                .block(TIMEOUT), RelayException.class);
        assertThat(throttled).as("ten attempts on A leave none for B").isNotNull();
        assertThat(throttled.code()).isEqualTo(ErrorCode.RATE_LIMITED);
    }

    /** A file sent from a node to a user on another: live progress, completion and the read marker cross over. */
    @Test
    @Order(2)
    void aFileSentFromOneNodeShowsItsProgressAndCompletionToItsRecipientOnTheOther() throws Exception {
        AuthToken alice = register(portA, "fa");
        AuthToken bob = register(portB, "fb");
        RelayClient aliceOnA = connect(portA, alice);
        RelayClient bobOnB = connect(portB, bob);
        try (EventProbe bobHears = EventProbe.open(bobOnB, 0L); EventProbe aliceHears = EventProbe.open(aliceOnA, 0L)) {
            Path file = TestFiles.random(3L * 1024 * 1024 + 5, 12);
            UploadTicket ticket = aliceOnA.createUpload(FileTransfers.describe(file, null)
                    .withRecipient(bob.username())).block(TIMEOUT);
            aliceOnA.limit(ticket.id(), 4_000_000L).block(TIMEOUT); // a second or so: several progress events
            UploadInfo done = new FileTransfers(aliceOnA).resume(ticket.id(), file, CHUNK, e -> { }).block(TIMEOUT);
            assertThat(done.state()).isEqualTo(UploadState.COMPLETED);

            bobHears.await(e -> e.type() == Event.Type.MESSAGE_UPDATED && e.message().id() == ticket.messageId()
                    && e.message().file().state() == UploadState.COMPLETED, TIMEOUT);
            List<Long> progress = bobHears.of(Event.Type.TRANSFER).stream()
                    .filter(e -> e.transfer().uploadId().equals(ticket.id()))
                    .map(e -> e.transfer().received()).toList();
            assertThat(progress).as("live progress from node A, heard on B").hasSizeGreaterThan(1).isSorted();

            bobOnB.markRead(alice.userId(), ticket.messageId()).block(TIMEOUT);
            Event read = aliceHears.await(e -> e.type() == Event.Type.READ && e.read().reader().equals(bob.userId()),
                    TIMEOUT);
            assertThat(read.read().messageId()).isEqualTo(ticket.messageId());
        }
    }

    @Test
    @Order(3)
    void aUserOnOneNodeIsOnlineForUsersOnAnotherAndGoesOfflineWithinSecondsWhenTheirNodeIsKilled() throws Exception {
        AuthToken alice = register(portB, "pa");
        AuthToken bob = register(portB, "pb");
        RelayClient aliceOnB = connect(portB, alice);
        BlockingQueue<Boolean> bobsPresence = new LinkedBlockingQueue<>();
        Disposable stream = aliceOnB.events(null)
                .filter(e -> e.type() == Event.Type.PRESENCE && e.user().id().equals(bob.userId()))
                .subscribe(e -> bobsPresence.add(e.user().online()), e -> { });
        // Presence comes for conversation peers and watched users only: alice's connection watches bob.
        assertThat(aliceOnB.watchPresence(List.of(bob.userId())).block(TIMEOUT)).extracting(u -> u.online())
                .containsExactly(false);
        Thread.sleep(500); // the stream is subscribed on B
        int portD = start("d");
        Process nodeD = nodes.get(nodes.size() - 1);

        connect(portD, bob);
        assertThat(bobsPresence.poll(10, TimeUnit.SECONDS)).as("bob online, heard on B").isTrue();
        assertThat(aliceOnB.searchUsers(bob.username()).blockFirst(TIMEOUT).online()).as("bob online, asked of B")
                .isTrue();

        long killed = System.nanoTime();
        nodeD.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        assertThat(bobsPresence.poll(20, TimeUnit.SECONDS)).as("bob offline, heard on B").isFalse();
        assertThat(System.nanoTime() - killed).as("detected within the heartbeat's lifetime and a beat")
                .isLessThan(12_000_000_000L);
        assertThat(aliceOnB.searchUsers(bob.username()).blockFirst(TIMEOUT).online()).isFalse();
        stream.dispose();
    }

    private AuthToken register(int port, String prefix) {
        return new RelayAuth(URI.create("http://127.0.0.1:" + port))
                .register(prefix + System.nanoTime() % 1_000_000, "long enough pw").block(TIMEOUT);
    }

    private RelayClient connect(int port, AuthToken token) {
        RelayClient client = RelayClient.connect(URI.create("ws://127.0.0.1:" + port + "/rsocket"), token.token());
        client.me().block(TIMEOUT);
        clients.add(client);
        return client;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    /** A node in the cluster, with a window of one chunk so that a pause's bound is exact. */
    private int start(String name, String... extraArgs) throws Exception {
        int port = ChildService.freePort();
        Path log = Path.of("target", "cluster-" + name + "-" + STARTS.incrementAndGet() + ".log");
        List<String> args = new ArrayList<>(List.of("--relay.cluster.enabled=true",
                "--relay.cluster.name=" + CLUSTER, "--relay.cluster.node-id=node-" + name,
                // Beyond every wait of these tests: what Redis lost must come back when its connection does.
                "--relay.cluster.position-check-interval=10m", "--relay.security.admin.username=" + ADMIN,
                "--relay.security.admin.password=long enough pw",
                "--relay.chat.message-burst=" + MESSAGE_BURST, "--relay.chat.messages-per-minute=6",
                "--spring.data.redis.host=127.0.0.1",
                "--spring.data.redis.port=" + redis.port(), "--relay.transfer.part-size=5MB",
                "--relay.transfer.max-chunk-size=256KB", "--relay.transfer.credit-window=256KB",
                "--relay.transfer.credit-window-max=256KB"));
        args.addAll(List.of(extraArgs)); // later ones replace those above (ChildService)
        nodes.add(ChildService.start(port, log, TIMEOUT, args));
        return port;
    }
}
