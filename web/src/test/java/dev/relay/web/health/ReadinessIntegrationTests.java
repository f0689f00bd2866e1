package dev.relay.web.health;

import dev.relay.infra.testing.TcpProxy;
import dev.relay.infra.testing.TestServices;
import dev.relay.web.support.ChildService;
import dev.relay.web.support.HttpProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a load balancer reads from a node (a child process whose S3 and database are behind proxies the test can
 * close): readiness is 200 when the node can serve, 503 while S3 or the database is unreachable and while the node
 * drains after SIGTERM; liveness stays 200 through the outages. One node for all tests, stopped by the last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReadinessIntegrationTests {

    private static final String READINESS = "/actuator/health/readiness";
    private static final String LIVENESS = "/actuator/health/liveness";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static Process node;
    private static int port;
    private static int s3Port;
    private static TcpProxy s3;
    private static int dbPort;
    private static TcpProxy db;

    @BeforeAll
    static void startNode() throws Exception {
        s3Port = URI.create(TestServices.get().s3Endpoint()).getPort();
        s3 = new TcpProxy(s3Port);
        TestServices services = TestServices.get();
        dbPort = URI.create(services.r2dbcUrl().substring("r2dbc:".length())).getPort();
        db = new TcpProxy(dbPort);
        port = ChildService.freePort();
        node = ChildService.start(port, Path.of("target", "readiness-node.log"), TIMEOUT,
                List.of("--relay.s3.endpoint=" + s3.url(),
                        "--spring.r2dbc.url=r2dbc:mysql://127.0.0.1:" + db.port() + "/" + services.dbName(),
                        "--relay.shutdown.drain-delay=2s"));
    }

    @AfterAll
    static void stopNode() throws Exception {
        s3.close();
        db.close();
        node.destroyForcibly();
    }

    @Test
    @Order(1)
    void readinessIsDownWhileS3IsUnreachableAndUpAgainWhenItReturns() throws Exception {
        // Listening comes first; ready once start-up work (the first administrator's account) is done.
        assertThat(await(READINESS, status -> status == 200)).as("ready after start-up").isEqualTo(200);
        assertThat(HttpProbe.get(port, "/actuator/health").body()).as("no details for anonymous callers")
                .contains("\"status\":\"UP\"").doesNotContain("components", "details", "s3", "r2dbc");

        s3.close();
        assertThat(await(READINESS, status -> status == 503)).as("S3 unreachable").isEqualTo(503);
        assertThat(HttpProbe.status(port, LIVENESS)).as("liveness ignores S3").isEqualTo(200);

        s3 = TcpProxy.listeningOn(s3.port(), s3Port);
        assertThat(await(READINESS, status -> status == 200)).as("S3 back").isEqualTo(200);
    }

    @Test
    @Order(2)
    void readinessIsDownWhileTheDatabaseIsUnreachableAndUpAgainWhenItReturns() throws Exception {
        assertThat(await(READINESS, status -> status == 200)).as("ready after start-up").isEqualTo(200);

        db.close();
        assertThat(await(READINESS, status -> status == 503)).as("database unreachable").isEqualTo(503);
        assertThat(HttpProbe.status(port, LIVENESS)).as("liveness ignores the database").isEqualTo(200);

        db = TcpProxy.listeningOn(db.port(), dbPort);
        assertThat(await(READINESS, status -> status == 200)).as("database back").isEqualTo(200);
    }

    @Test
    @Order(3)
    void afterSigtermReadinessAnswers503ForTheDrainDelayBeforeTheListenerCloses() throws Exception {
        assertThat(HttpProbe.status(port, READINESS)).isEqualTo(200);

        node.destroy();
        List<Integer> answers = new ArrayList<>();
        long first503 = -1;
        long closed;
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            assertThat(System.nanoTime()).as("the port closes").isLessThan(deadline);
            int status = HttpProbe.status(port, READINESS);
            long now = System.nanoTime();
            if (answers.isEmpty() || answers.get(answers.size() - 1) != status) {
                answers.add(status);
            }
            if (status == 503 && first503 < 0) {
                first503 = now;
            }
            if (status == HttpProbe.REFUSED) {
                closed = now;
                break;
            }
        }
        assertThat(node.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThat(answers).as("readiness from SIGTERM to the closed port").contains(503);
        assertThat(answers.subList(answers.indexOf(503), answers.size())).as("never ready again")
                .containsOnly(503, HttpProbe.REFUSED);
        // Long enough for a balancer's checks (deploy/haproxy.cfg: 2 x 1s) to see it; without the delay, milliseconds.
        assertThat(Duration.ofNanos(closed - first503)).as("503 answered before the port closed")
                .isGreaterThan(Duration.ofMillis(1500));
    }

    /** Polls until {@code until} accepts the status (returned) or 15 s pass (the last status is returned). */
    private static int await(String path, IntPredicate until) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        int status;
        while (!until.test(status = HttpProbe.status(port, path)) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        return status;
    }
}
