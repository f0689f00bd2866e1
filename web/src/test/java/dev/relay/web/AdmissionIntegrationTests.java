package dev.relay.web;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.relay.api.ErrorCode;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.Invite;
import dev.relay.api.wire.UserInfo;
import dev.relay.client.RelayAuth;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import dev.relay.infra.testing.TestServices;
import dev.relay.web.security.Admission;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;
import reactor.core.publisher.Mono;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Who may register and how (issue #18 §2): nobody becomes an administrator by registering first, invite codes admit
 * one registration each, registrations and logins are throttled per client address, any password of the documented
 * length works, and tokens must expire — connections too. Its own database: the first administrator is only first on
 * a database nobody else wrote to. Client addresses come from X-Forwarded-For, as behind a proxy.
 */
@TestPropertySource(properties = {
        "relay.security.registration=invite",
        "server.forward-headers-strategy=native",
        "relay.security.registrations-per-hour=1",
        "relay.security.address-logins-per-minute=1",
        "relay.security.login-burst=1000"})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdmissionIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String PASSWORD = "correct horse battery";
    /** 25 CJK characters: 75 bytes in UTF-8, past BCrypt's 72. */
    private static final String CJK_PASSWORD = "密".repeat(25);
    /** Above what the other tests use from 127.0.0.1. */
    private static final int REGISTRATION_BURST = 6;
    private static final int LOGIN_BURST = 10;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Autowired
    private Admission admission;

    @DynamicPropertySource
    static void ownDatabase(DynamicPropertyRegistry registry) {
        var database = TestServices.get().newDatabaseProperties();
        database.forEach((key, value) -> OVERRIDES.put(key, () -> value));
        // The base class raises these for every other test (they all come from one address).
        OVERRIDES.put("relay.security.registration-burst", () -> String.valueOf(REGISTRATION_BURST));
        OVERRIDES.put("relay.security.address-login-burst", () -> String.valueOf(LOGIN_BURST));
        registry.add("relay.test.own-database", () -> database.get("spring.r2dbc.url"));
    }

    @AfterAll
    static void clearOverrides() {
        OVERRIDES.clear();
    }

    @Test
    @Order(1)
    void theFirstAdministratorRegistersWithTheSetupTokenWhichThenStopsWorking() throws Exception {
        // Invite mode: registering first without a code makes nobody anything.
        assertThat(register("198.51.100.1", "early", PASSWORD, null)).startsWith("403").contains("FORBIDDEN");
        assertThat(register("198.51.100.1", "early", PASSWORD, "guessed-token")).startsWith("403");

        AuthToken root = auth().register("root", PASSWORD, admission.setupToken()).block(TIMEOUT);
        assertThat(root.role()).isEqualTo(UserInfo.Role.ADMIN);
        assertThat(register("198.51.100.2", "root2", PASSWORD, admission.setupToken()))
                .startsWith("403").contains("no longer works");
    }

    @Test
    @Order(2)
    void anInviteAdmitsOneRegistrationAndAFailedOneGivesItBack() {
        RelayClient admin = client(auth().login("root", PASSWORD).block(TIMEOUT));
        Invite invite = admin.createInvite().block(TIMEOUT);
        assertThat(invite.expiresAt()).isAfter(Instant.now().plus(Duration.ofDays(6)));

        // A taken username fails the registration; the invite it took is given back.
        assertCode(auth().register("root", PASSWORD, invite.code()), ErrorCode.CONFLICT);
        AuthToken alice = auth().register("alice", CJK_PASSWORD, invite.code()).block(TIMEOUT);
        assertThat(alice.role()).isEqualTo(UserInfo.Role.USER);
        assertCode(auth().register("mallory", PASSWORD, invite.code()), ErrorCode.FORBIDDEN);
        assertCode(client(alice).createInvite(), ErrorCode.ADMIN_ONLY);
    }

    @Test
    @Order(3)
    void passwordsOfAnyScriptUpToTheDocumentedLengthWork() {
        AuthToken alice = auth().login("alice", CJK_PASSWORD).block(TIMEOUT);
        String longest = "🔑".repeat(64);
        AuthToken changed = auth().changePassword(alice.token(), CJK_PASSWORD, longest).block(TIMEOUT);
        assertThat(auth().login("alice", longest).block(TIMEOUT).userId()).isEqualTo(changed.userId());
        assertCode(auth().changePassword(changed.token(), longest, "x".repeat(129)), ErrorCode.INVALID_REQUEST);
        assertCode(auth().login("alice", CJK_PASSWORD), ErrorCode.UNAUTHENTICATED);
    }

    @Test
    @Order(4)
    void registrationsAndLoginsAreThrottledPerClientAddress() throws Exception {
        for (int i = 0; i < REGISTRATION_BURST; i++) {
            assertThat(register("203.0.113.7", "flood" + i, PASSWORD, "no-such-code")).startsWith("403");
        }
        assertThat(register("203.0.113.7", "flood", PASSWORD, "no-such-code"))
                .startsWith("429").contains("RATE_LIMITED").contains("this address");
        assertThat(register("203.0.113.8", "flood4", PASSWORD, "no-such-code")).startsWith("403");
        // The backoff is in the answer: when the next attempt can succeed (1 an hour here).
        HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create(http() + "/api/auth/register"))
                .header("Content-Type", "application/json").header("X-Forwarded-For", "203.0.113.7")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"again\",\"password\":\"" + PASSWORD
                        + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValueAsLong("Retry-After").orElse(0)).isBetween(1L, 3600L);

        for (int i = 0; i < LOGIN_BURST; i++) {
            assertThat(login("203.0.113.9", "alice", "wrong password " + i)).startsWith("401");
        }
        assertThat(login("203.0.113.9", "alice", "wrong password")).startsWith("429").contains("RATE_LIMITED");
        assertThat(login("203.0.113.10", "root", PASSWORD)).startsWith("200");
    }

    @Test
    @Order(5)
    void aTokenWithoutExpiryOpensNothing() throws Exception {
        AuthToken root = auth().login("root", PASSWORD).block(TIMEOUT);
        JWTClaimsSet claims = SignedJWT.parse(root.token()).getJWTClaimsSet();
        String forever = sign(new JWTClaimsSet.Builder(claims).expirationTime(null).build());

        assertThat(status("/api/files/none/content", root.token())).isEqualTo(404);
        assertThat(status("/api/files/none/content", forever)).isEqualTo(401);
        assertThatThrownBy(() -> RelayClient.connect(ws(), forever).me().block(TIMEOUT))
                .isInstanceOfSatisfying(RelayException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED));
    }

    @Test
    @Order(6)
    void aConnectionClosesWhenItsTokenExpires() throws Exception {
        AuthToken root = auth().login("root", PASSWORD).block(TIMEOUT);
        JWTClaimsSet claims = SignedJWT.parse(root.token()).getJWTClaimsSet();
        String shortLived = sign(new JWTClaimsSet.Builder(claims)
                .expirationTime(Date.from(Instant.now().plusSeconds(3))).build());
        RelayClient client = RelayClient.connect(ws(), shortLived);
        assertThat(client.me().block(TIMEOUT).username()).isEqualTo("root");
        long start = System.nanoTime();
        client.rsocket().flatMap(r -> r.onClose()).onErrorResume(e -> Mono.empty()).block(TIMEOUT);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofSeconds(1),
                Duration.ofSeconds(6));
        client.close();
    }

    private RelayAuth auth() {
        return new RelayAuth(http());
    }

    private static String sign(JWTClaimsSet claims) throws Exception {
        byte[] key = Base64.getDecoder().decode(TestServices.get().springProperties().get("relay.security.jwt-secret"));
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(new MACSigner(key));
        return jwt.serialize();
    }

    /** "status body" of a registration from {@code address}. */
    private String register(String address, String username, String password, String invite) throws Exception {
        return post("/api/auth/register", address, "{\"username\":\"" + username + "\",\"password\":\"" + password
                + "\"" + (invite == null ? "" : ",\"invite\":\"" + invite + "\"") + "}");
    }

    private String login(String address, String username, String password) throws Exception {
        return post("/api/auth/login", address, "{\"username\":\"" + username + "\",\"password\":\"" + password
                + "\"}");
    }

    private String post(String path, String address, String json) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(http() + path))
                .header("Content-Type", "application/json")
                .header("X-Forwarded-For", address)
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        return response.statusCode() + " " + response.body();
    }

    private int status(String path, String token) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(http() + path))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private static void assertCode(Mono<?> call, ErrorCode code) {
        assertThatThrownBy(() -> call.block(TIMEOUT)).isInstanceOfSatisfying(RelayException.class,
                e -> assertThat(e.code()).isEqualTo(code));
    }
}
