package dev.relay.web.faults;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.relay.api.ErrorCode;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.ChatMessage;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.Event;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import dev.relay.infra.testing.TestServices;
import dev.relay.web.support.EventProbe;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;
import reactor.core.Disposable;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.relay.web.faults.BadInputTarget.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #18's hostile client: floods and tricks against accounts, connections, streams and writes, each case with
 * bounded counts (more with {@code -Drelay.faults.full=true}). Per case it records how many attempts were made, how
 * many got their documented answer (accepted within the limit, refused with the documented code beyond it), a
 * bystander's latency during the attack against their unloaded latency ({@link Bystander}), and that the victim's
 * stored data is unchanged ({@link BadInputTarget#stillHealthyAndUnchanged}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestPropertySource(properties = {
        "server.forward-headers-strategy=native",
        "relay.security.registrations-per-hour=30",
        "relay.security.address-logins-per-minute=30",
        "relay.connections.max-per-user=" + HostileClientFaultIntegrationTests.CONNECTIONS,
        "relay.connections.max-streams=" + HostileClientFaultIntegrationTests.STREAMS})
class HostileClientFaultIntegrationTests extends ServiceIntegrationTest {

    static final int CONNECTIONS = 20;
    static final int STREAMS = 64;
    private static final int REGISTRATION_BURST = 20;
    private static final int ADDRESS_LOGIN_BURST = 20;
    private static final int ACCOUNT_LOGIN_BURST = 10;
    private static final int REQUEST_BURST = 300;
    private static final int WRITE_BURST = 60;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private BadInputTarget target;
    private final List<RelayClient> opened = new ArrayList<>();

    @DynamicPropertySource
    static void limits(DynamicPropertyRegistry registry) {
        // The base class raises these for every other test (they all come from one address).
        OVERRIDES.put("relay.security.registration-burst", () -> String.valueOf(REGISTRATION_BURST));
        OVERRIDES.put("relay.security.address-login-burst", () -> String.valueOf(ADDRESS_LOGIN_BURST));
        OVERRIDES.put("relay.connections.request-burst", () -> String.valueOf(REQUEST_BURST));
        OVERRIDES.put("relay.connections.write-burst", () -> String.valueOf(WRITE_BURST));
        registry.add("relay.test.hostile", () -> "true");
    }

    @BeforeAll
    void victim() throws Exception {
        AuthToken victim = user();
        AuthToken attacker = user();
        target = BadInputTarget.prepare(http(), ws(), victim, open(victim), attacker, open(attacker),
                randomFile(300_000, 181), randomFile(PART + 1000, 182), CHUNK);
    }

    @AfterAll
    void closeAndClearOverrides() {
        opened.forEach(RelayClient::close);
        OVERRIDES.clear();
    }

    @Test
    void registrationFloodFromOneAddress() throws Exception {
        int n = FaultSettings.count("hostile-registrations", 60, 1000);
        String address = address();
        Bystander bystander = loginBystander();
        AtomicInteger tried = new AtomicInteger();
        AtomicBoolean measured = new AtomicBoolean();
        int passed = bystander.pastAllowance(REGISTRATION_BURST, tried, measured, () -> Tally.of(n, measured::get,
                REGISTRATION_BURST, 30.0 / 60, i -> answer(post("/api/auth/register", address,
                        credentials("f" + tried.incrementAndGet() + shortId(), "flood password")), "201")));
        finish("registrations", "registration flood from one address", tried.get(), passed,
                REGISTRATION_BURST + " accepted, the rest 429 RATE_LIMITED", bystander);
    }

    @Test
    void passwordGuessingOnOneAccountFromManyAddresses() throws Exception {
        int n = FaultSettings.count("hostile-guesses", 60, 400);
        String victim = target.victim.username();
        Bystander bystander = loginBystander();
        AtomicInteger tried = new AtomicInteger();
        AtomicBoolean measured = new AtomicBoolean();
        int passed = bystander.pastAllowance(ACCOUNT_LOGIN_BURST, tried, measured, () -> Tally.of(n, measured::get,
                ACCOUNT_LOGIN_BURST, 6, i -> answer(post("/api/auth/login", address(), credentials(victim, "guess "
                        + tried.incrementAndGet())), "401")));
        finish("guesses", "password guessing on one account, from " + tried.get() + " addresses", tried.get(), passed,
                ACCOUNT_LOGIN_BURST + " answered 401, the rest 429 RATE_LIMITED", bystander);
    }

    @Test
    void passwordGuessingAcrossAccountsFromOneAddress() throws Exception {
        int n = FaultSettings.count("hostile-sprays", 60, 400);
        String address = address();
        Bystander bystander = loginBystander();
        AtomicInteger tried = new AtomicInteger();
        AtomicBoolean measured = new AtomicBoolean();
        int passed = bystander.pastAllowance(ADDRESS_LOGIN_BURST, tried, measured, () -> Tally.of(n, measured::get,
                ADDRESS_LOGIN_BURST, 30, i -> answer(post("/api/auth/login", address, credentials("user"
                        + tried.incrementAndGet(), "spray password")), "401")));
        finish("sprays", "password spraying across accounts from one address", tried.get(), passed,
                ADDRESS_LOGIN_BURST + " answered 401, the rest 429 RATE_LIMITED", bystander);
    }

    @Test
    void passwordsPastBcryptsLimitAndTokensWithoutExpiry() throws Exception {
        String name = "cjk" + shortId();
        String cjk = "密".repeat(25);
        int passed = 0;
        passed += post("/api/auth/register", address(), credentials(name, cjk)).startsWith("201") ? 1 : 0;
        passed += post("/api/auth/login", address(), credentials(name, cjk)).startsWith("200") ? 1 : 0;
        passed += post("/api/auth/register", address(), credentials("long" + shortId(), "x".repeat(129)))
                .startsWith("400 {\"code\":\"INVALID_REQUEST\"") ? 1 : 0;
        JWTClaimsSet claims = SignedJWT.parse(target.attacker.token()).getJWTClaimsSet();
        String forever = sign(new JWTClaimsSet.Builder(claims).expirationTime(null).build());
        passed += status("/api/files/" + target.victimFile.id() + "/content", forever) == 401 ? 1 : 0;
        try {
            RelayClient.connect(ws(), forever).me().block(TIMEOUT);
        } catch (RelayException e) {
            passed += e.code() == ErrorCode.UNAUTHENTICATED ? 1 : 0;
        }
        finish("credentials", "a 75-byte password, a 129-character one, a token without exp (HTTP, RSocket)", 5,
                passed, "201/200 for the long password, 400 INVALID_REQUEST past 128, 401 and REJECTED_SETUP"
                        + " UNAUTHENTICATED for the token", null);
    }

    @Test
    void connectionFloodByOneUser() throws Exception {
        int n = FaultSettings.count("hostile-connections", 60, 2000);
        AuthToken attacker = user();
        Bystander bystander = Bystander.rsocket(open(user()));
        int passed = bystander.during(() -> {
            int ok = 0;
            for (int i = 0; i < n; i++) {
                RelayClient c = open(attacker);
                try {
                    c.me().block(TIMEOUT);
                    ok += i < CONNECTIONS ? 1 : 0;
                } catch (RelayException e) {
                    ok += i >= CONNECTIONS && e.code() == ErrorCode.LIMIT_EXCEEDED ? 1 : 0;
                    c.close();
                }
            }
            return ok;
        });
        finish("connections", "connection flood by one user", n, passed,
                CONNECTIONS + " open, the rest refused at SETUP with LIMIT_EXCEEDED", bystander);
    }

    @Test
    void streamFloodOnOneConnectionAndTelemetryWatchers() throws Exception {
        int n = FaultSettings.count("hostile-streams", 200, 10_000);
        AuthToken attacker = user();
        RelayClient client = open(attacker);
        String upload = client.createUpload(new CreateUploadRequest("t.bin", 1_000_000, null, null))
                .block(TIMEOUT).id();
        Bystander bystander = Bystander.rsocket(open(user()));
        Map<Integer, ErrorCode> refused = new ConcurrentHashMap<>();
        Set<Integer> sampled = ConcurrentHashMap.newKeySet();
        List<Disposable> streams = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int index = i;
            streams.add(client.telemetry(upload).subscribe(t -> sampled.add(index),
                    e -> refused.put(index, e instanceof RelayException r ? r.code() : ErrorCode.INTERNAL)));
        }
        long end = System.nanoTime() + TIMEOUT.toNanos();
        while (sampled.size() + refused.size() < n && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        // Every open watcher gets a sample every 200 ms meanwhile, all from one shared sampler.
        bystander.during(() -> {
            Thread.sleep(1500);
            return null;
        });
        streams.forEach(Disposable::dispose);
        long rightlyRefused = refused.values().stream().filter(c -> c == ErrorCode.LIMIT_EXCEEDED).count();
        int passed = (int) rightlyRefused + Math.min(sampled.size(), STREAMS);
        finish("streams", "telemetry streams on one connection", n, passed, sampled.size() + " open and sampled, "
                + rightlyRefused + " refused with LIMIT_EXCEEDED", bystander);
    }

    @Test
    void writeFloodsReachNobodyBeyondTheirBudget() throws Exception {
        int n = FaultSettings.count("hostile-writes", 100, 3000);
        AuthToken attacker = user();
        RelayClient attackerClient = open(attacker);
        AuthToken watcher = user();
        RelayClient watcherClient = open(watcher);
        ChatMessage hello = watcherClient.sendText(attacker.userId(), "hello").block(TIMEOUT);
        EventProbe watcherEvents = EventProbe.open(watcherClient, null);
        Bystander bystander = Bystander.rsocket(watcherClient);
        AtomicInteger renames = new AtomicInteger();
        int passed = bystander.during(() -> Tally.of(n, WRITE_BURST, 240, i -> call(() -> {
            if (i % 2 == 0) {
                attackerClient.updateProfile("Name " + (i % 4)).block(TIMEOUT);
                renames.incrementAndGet();
            } else {
                attackerClient.markRead(watcher.userId(), hello.id()).block(TIMEOUT);
            }
        })));
        watcherClient.sendText(attacker.userId(), "after").block(TIMEOUT);
        watcherEvents.await(e -> e.type() == Event.Type.MESSAGE, TIMEOUT);
        long users = watcherEvents.of(Event.Type.USER).stream()
                .filter(e -> e.user().id().equals(attacker.userId())).count();
        long reads = watcherEvents.of(Event.Type.READ).size();
        assertThat(users).as("USER events of the flooder: one per accepted rename").isEqualTo(renames.get());
        assertThat(reads).as("READ events of one marker set again and again").isEqualTo(1);
        finish("writes", "profile.update and chat.read flood", n, passed, WRITE_BURST + " accepted, the rest"
                + " RATE_LIMITED; the watcher got " + users + " USER event(s), one per accepted rename, and " + reads
                + " READ event(s)", bystander);
    }

    @Test
    void requestFloodByOneUser() throws Exception {
        int n = FaultSettings.count("hostile-requests", 400, 5000);
        RelayClient attacker = open(user());
        Bystander bystander = Bystander.rsocket(open(user()));
        int passed = bystander.during(() -> Tally.of(n, REQUEST_BURST, 1200, i -> call(() ->
                attacker.me().block(TIMEOUT))));
        finish("requests", "request flood by one user", n, passed, "about " + REQUEST_BURST
                + " answered, the rest RATE_LIMITED", bystander);
    }

    /** Records the case, then fails it if any attempt was answered otherwise, the bystander slowed, or data moved. */
    private void finish(String id, String description, int tried, int passed, String expected, Bystander bystander)
            throws Exception {
        String unchanged;
        try {
            target.stillHealthyAndUnchanged();
            unchanged = "the victim's data unchanged";
        } catch (AssertionError e) {
            unchanged = "the victim's data CHANGED: " + e.getMessage();
        }
        boolean fast = bystander == null || bystander.withinBound();
        FaultResults.record("hostile-" + id, "hostile client: " + description, tried,
                fast && unchanged.endsWith("unchanged") ? passed : 0, expected
                        + (bystander == null ? "" : "; " + bystander.figures()) + "; " + unchanged);
        assertThat(passed).as(description + ": attempts with their documented answer").isEqualTo(tried);
        assertThat(fast).as(description + ": " + (bystander == null ? "" : bystander.figures())).isTrue();
        assertThat(unchanged).endsWith("unchanged");
    }

    /** Logins of well-behaved users, each account and address a few times only (they have limits of their own). */
    private Bystander loginBystander() throws Exception {
        List<AuthToken> users = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            users.add(user());
        }
        AtomicInteger next = new AtomicInteger();
        return Bystander.of("login", () -> {
            AuthToken user = users.get(next.getAndIncrement() % users.size());
            String answer = post("/api/auth/login", address(), credentials(user.username(), "correct horse battery"));
            assertThat(answer).startsWith("200");
            return answer;
        });
    }

    /** An HTTP answer: accepted if it starts with {@code accepted}, refused if RATE_LIMITED, wrong otherwise. */
    private static Tally.Answer answer(String response, String accepted) {
        return response.startsWith(accepted) ? Tally.Answer.ACCEPTED
                : response.startsWith("429 {\"code\":\"RATE_LIMITED\"") ? Tally.Answer.REFUSED : Tally.Answer.WRONG;
    }

    /** An RSocket call: accepted if it answers, refused if RATE_LIMITED, wrong otherwise. */
    private static Tally.Answer call(Runnable request) {
        try {
            request.run();
            return Tally.Answer.ACCEPTED;
        } catch (RelayException e) {
            return e.code() == ErrorCode.RATE_LIMITED ? Tally.Answer.REFUSED : Tally.Answer.WRONG;
        }
    }

    /** A new user, registered from an address of its own: the floods' limits must not hit the test's own set-up. */
    private AuthToken user() throws Exception {
        String answer = post("/api/auth/register", address(), credentials("u" + shortId(), "correct horse battery"));
        assertThat(answer).startsWith("201");
        return JSON.readValue(answer.substring(4), AuthToken.class);
    }

    private RelayClient open(AuthToken user) {
        RelayClient client = RelayClient.connect(ws(), user.token());
        opened.add(client);
        return client;
    }

    private String post(String path, String address, String json) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(http() + path))
                .header("Content-Type", "application/json").header("X-Forwarded-For", address)
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        return response.statusCode() + " " + response.body();
    }

    private int status(String path, String token) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(http() + path)).header("Authorization", "Bearer " + token)
                .GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static String sign(JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(new MACSigner(Base64.getDecoder().decode(
                TestServices.get().springProperties().get("relay.security.jwt-secret"))));
        return jwt.serialize();
    }

    private static String credentials(String username, String password) {
        return "{\"username\":\"" + username + "\",\"password\":\"" + password + "\"}";
    }

    /** A fresh documentation address (RFC 5737 and beyond), as X-Forwarded-For. */
    private static String address() {
        UUID random = UUID.randomUUID();
        return "10." + (random.hashCode() & 0xff) + "." + ((random.hashCode() >> 8) & 0xff) + "."
                + ((random.hashCode() >> 16) & 0xff);
    }

    private static String shortId() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }
}
