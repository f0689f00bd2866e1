package dev.relay.web.faults;

import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.UserInfo;
import dev.relay.client.RelayClient;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.relay.web.faults.BadInputTarget.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #4, case 4: bad input of every kind, from garbage on the WebSocket to other users' ids
 * ({@link BadInputCases}), each case its own test named after it. Each case must get its documented error, and after
 * each one the service must still answer a normal request, the victim's completed file must still download with the
 * same SHA-256 and the victim's unfinished upload must be where it was
 * ({@link BadInputTarget#stillHealthyAndUnchanged}, checked even when the case itself failed: a wrong error code must
 * not hide a broken service).
 * <p>
 * The service, the two users and the victim's files are set up once for all cases (one test instance per class).
 * All cases together are recorded as one line of the fault report (bench/faults.sh, docs/reliability.md): how many
 * ran, how many passed both their own checks and the checks after them, and which failed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputFaultIntegrationTests extends ServiceIntegrationTest {

    private static final String ID = "bad-input";
    private static final String DESCRIPTION = "bad input (frames, metadata, routes, JSON, offsets, chunks, flooding,"
            + " tokens, other users' ids, names, text)";
    private static final String FIGURES = "after every case: a new connection's users.me answers, the victim's file"
            + " downloads with the same SHA-256, the victim's unfinished upload keeps its offset";

    /** Kept open across cases (ServiceIntegrationTest closes the clients of {@code client()} after each test). */
    private final List<RelayClient> sharedClients = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private BadInputTarget target;
    private long caseSeeds;
    private int tried;
    private int passed;

    @BeforeAll
    void setUpVictimAndAttacker() throws Exception {
        caseSeeds = FaultSettings.random(ID).nextLong();
        AuthToken victim = plainUser();
        AuthToken attacker = plainUser();
        RelayClient victimClient = sharedClient(victim);
        RelayClient attackerClient = sharedClient(attacker);
        target = BadInputTarget.prepare(http(), ws(), victim, victimClient, attacker, attackerClient,
                randomFile(600_000, 91), randomFile(PART + 1000, 92), CHUNK);
    }

    /**
     * Runs one case, then the checks after it whatever the case's outcome. A failure's message starts with the case's
     * name (Surefire's XML report names these tests by index) and carries the case's own error, or the checks' error
     * if only they failed (added as suppressed when both did).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.relay.web.faults.BadInputCases#all")
    void getsItsDocumentedErrorAndChangesNothing(BadInputCases.Case badInput) {
        tried++;
        Throwable caseError = null;
        Throwable afterError = null;
        try {
            // A random source per case: a case draws the same bytes whether it runs alone or after the others.
            badInput.attempt().run(target, new Random(caseSeeds * 31 + badInput.name().hashCode()));
        } catch (Throwable e) {
            caseError = e;
            failures.add(badInput.name() + ": " + firstLine(e));
            System.out.println("[faults] bad input FAILED: " + badInput.name());
            e.printStackTrace(System.out);
        }
        try {
            target.stillHealthyAndUnchanged();
        } catch (Throwable e) {
            afterError = e;
            failures.add(badInput.name() + ": afterwards " + firstLine(e));
            e.printStackTrace(System.out);
        }
        if (caseError == null && afterError == null) {
            passed++;
            System.out.println("[faults] bad input passed: " + badInput.name());
            return;
        }
        AssertionError failure = caseError != null
                ? new AssertionError(badInput.name() + ": " + caseError, caseError)
                : new AssertionError(badInput.name() + ": afterwards " + afterError, afterError);
        if (caseError != null && afterError != null) {
            failure.addSuppressed(afterError);
        }
        throw failure;
    }

    @AfterAll
    void recordAndCloseClients() {
        try {
            if (tried > 0) {
                FaultResults.record(ID, DESCRIPTION, tried, passed,
                        FIGURES + (failures.isEmpty() ? "" : "; failures: " + failures));
            }
        } finally {
            sharedClients.forEach(RelayClient::close);
        }
    }

    /** A user that is not an administrator (nobody becomes one by registering). */
    private AuthToken plainUser() {
        AuthToken user = newUser();
        assertThat(user.role()).isEqualTo(UserInfo.Role.USER);
        return user;
    }

    private RelayClient sharedClient(AuthToken user) {
        RelayClient client = RelayClient.connect(ws(), user.token());
        sharedClients.add(client);
        return client;
    }

    private static String firstLine(Throwable e) {
        return e.toString().lines().findFirst().orElse("");
    }
}
