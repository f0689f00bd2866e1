package dev.relay.web.faults;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.relay.api.ErrorCode;
import dev.relay.api.Routes;
import dev.relay.api.UploadState;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.WriteStart;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import dev.relay.infra.testing.TestServices;
import io.netty.buffer.Unpooled;
import io.rsocket.Payload;
import io.rsocket.exceptions.ApplicationErrorException;
import io.rsocket.util.ByteBufPayload;
import io.rsocket.util.DefaultPayload;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;

import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static dev.relay.web.faults.BadInputTarget.TIMEOUT;
import static dev.relay.web.faults.BadInputTarget.expectCode;
import static dev.relay.web.faults.RawFrames.metadataWithoutRoute;
import static dev.relay.web.faults.RawFrames.requestResponseOnStreamZero;
import static dev.relay.web.support.ServiceIntegrationTest.CHUNK;
import static dev.relay.web.support.ServiceIntegrationTest.WINDOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The bad-input cases, one entry per case, in groups: frames and metadata, JSON, offsets and chunks, tokens, other
 * users' ids, names and text. Each sends its bad input as the attacker of a {@link BadInputTarget} and asserts the
 * documented answer; BadInputFaultIntegrationTests runs each as its own test and checks the target after it.
 */
final class BadInputCases {

    /** One case: its name (the test's display name) and what it sends and expects. */
    record Case(String name, Attempt attempt) {
        @Override
        public String toString() {
            return name;
        }
    }

    interface Attempt {
        /** {@code random}: this case's own random source (see BadInputFaultIntegrationTests). */
        void run(BadInputTarget t, Random random) throws Exception;
    }

    private static final List<String> FILE_NAMES = List.of("../etc/passwd", "a/b", "a\\b", "/abs", "..", ".", "",
            "   ", "a\u0000b", "line\nbreak", "cr\rname", "tab\tname", "esc\u001b[31mred", "del\u007f", "c1\u0085",
            "bidi\u202Etxt.exe", "zero\u200Bwidth", "line\u2028sep", "n".repeat(256));

    private BadInputCases() {
    }

    /** Every case, in the order they run. */
    static List<Case> all() {
        Map<String, Attempt> cases = new LinkedHashMap<>();
        framesAndMetadata(cases);
        json(cases);
        offsetsChunksAndCredit(cases);
        tokens(cases);
        otherUsersIds(cases);
        namesAndText(cases);
        List<Case> all = new ArrayList<>();
        cases.forEach((name, attempt) -> all.add(new Case(name, attempt)));
        return all;
    }

    private static void framesAndMetadata(Map<String, Attempt> cases) {
        put(cases, "garbage bytes instead of SETUP", (t, random) -> t.rawWebSocket(randomBytes(random, 512), false,
                true));
        // Random bytes with an undefined frame type: random bytes that happen to read as, say, a REQUEST_N for an
        // unknown stream are ignored, as the RSocket spec allows, and prove nothing.
        put(cases, "garbage frame (undefined type) after a valid SETUP", (t, random) -> {
            byte[] garbage = randomBytes(random, 512);
            int type = 0x12 + random.nextInt(0x3F - 0x12);
            // Type in the high 6 bits; the IGNORE flag (0x02 of this byte) stays clear, or the spec lets the server
            // drop the frame silently, which is what it then does.
            garbage[4] = (byte) (type << 2 | garbage[4] & 0x01);
            garbage[0] &= 0x7F; // a valid stream id, so that the type is what gets judged
            t.rawWebSocket(garbage, true, true);
        });
        put(cases, "truncated frame (3 bytes) after SETUP", (t, random) -> t.rawWebSocket(new byte[]{0, 0, 1}, true,
                true));
        put(cases, "request on stream 0 after SETUP", (t, random) -> t.rawWebSocket(requestResponseOnStreamZero(),
                true, true));
        put(cases, "WebSocket message of 3 MiB (above the 2 MiB frame limit)",
                (t, random) -> t.rawWebSocket(randomBytes(random, 3 * 1024 * 1024), true, false));
        put(cases, "invalid composite metadata", (t, random) -> expectCode(t.attackerClient.rsocket().flatMap(r ->
                        r.requestResponse(ByteBufPayload.create(Unpooled.EMPTY_BUFFER,
                                Unpooled.wrappedBuffer(randomBytes(random, 40))))), ErrorCode.INVALID_REQUEST));
        put(cases, "composite metadata without a route", (t, random) -> expectCode(t.attackerClient.rsocket()
                        .flatMap(r -> r.requestResponse(ByteBufPayload.create(Unpooled.EMPTY_BUFFER,
                                metadataWithoutRoute()))),
                ErrorCode.UNKNOWN_ROUTE));
        put(cases, "no metadata at all", (t, random) -> expectCode(t.attackerClient.rsocket().flatMap(r ->
                r.requestResponse(DefaultPayload.create(new byte[0]))), ErrorCode.UNKNOWN_ROUTE));
        put(cases, "unknown route (request-response)", (t, random) -> expectCode(t.raw("files.x.frobnicate", null),
                ErrorCode.UNKNOWN_ROUTE));
        put(cases, "unknown route (request-stream)", (t, random) -> expectCode(t.attackerClient.rsocket()
                .flatMapMany(r -> r.requestStream(RelayClient.payload("nothing.here", null))).then(),
                ErrorCode.UNKNOWN_ROUTE));
        put(cases, "unknown route (request-channel)", (t, random) -> expectCode(t.attackerClient.rsocket()
                        .flatMapMany(r -> r.requestChannel(Flux.just(RelayClient.payload("nothing.here", null))))
                        .then(),
                ErrorCode.UNKNOWN_ROUTE));
        put(cases, "unknown route (fire-and-forget; nothing to answer)", (t, random) -> t.attackerClient.rsocket()
                .flatMap(r -> r.fireAndForget(RelayClient.payload("nothing.here", null))).block(TIMEOUT));
        put(cases, "route of 255 bytes (the longest routing tag)", (t, random) -> expectCode(t.raw("uploads."
                + "x".repeat(247), null), ErrorCode.NOT_FOUND));
    }

    private static void json(Map<String, Attempt> cases) {
        put(cases, "bad JSON (uploads.create)", (t, random) -> expectCode(t.rawJson(Routes.UPLOADS_CREATE,
                "{\"name\": "), ErrorCode.INVALID_REQUEST));
        put(cases, "wrong JSON types (uploads.create)", (t, random) -> expectCode(t.rawJson(Routes.UPLOADS_CREATE,
                "{\"name\": [1], \"size\": \"big\"}"), ErrorCode.INVALID_REQUEST));
        put(cases, "JSON that is not an object (uploads.create)", (t, random) -> expectCode(t.rawJson(
                Routes.UPLOADS_CREATE, "42"), ErrorCode.INVALID_REQUEST));
        put(cases, "invalid UTF-8 (uploads.create)", (t, random) -> expectCode(t.raw(Routes.UPLOADS_CREATE,
                new byte[]{'{', '"', 'n', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'}), ErrorCode.INVALID_REQUEST));
        put(cases, "no body (uploads.create)", (t, random) -> expectCode(t.raw(Routes.UPLOADS_CREATE, null),
                ErrorCode.INVALID_REQUEST));
        put(cases, "bad JSON (chat send)", (t, random) -> expectCode(t.rawJson(Routes.chat(Routes.CHAT_SEND,
                t.victim.userId()), "{text"), ErrorCode.INVALID_REQUEST));
        put(cases, "bad JSON (files read)", (t, random) -> expectCode(t.rawStream(Routes.of(Routes.FILE_READ,
                t.ownFile()), "{offset:"), ErrorCode.INVALID_REQUEST));
        put(cases, "bad JSON (events)", (t, random) -> expectCode(t.rawStream(Routes.EVENTS, "[[["),
                ErrorCode.INVALID_REQUEST));
        put(cases, "bad JSON (write start)", (t, random) -> {
            String route = Routes.of(Routes.UPLOAD_WRITE, t.ownUpload(1000));
            expectCode(t.attackerClient.rsocket().flatMapMany(r -> r.requestChannel(Flux.just(ByteBufPayload.create(
                    Unpooled.wrappedBuffer("{off".getBytes()), RelayClient.routeMetadata(route))))).then(),
                    ErrorCode.INVALID_REQUEST);
        });
        put(cases, "bad JSON (HTTP register)", (t, random) -> t.expectHttp(HttpRequest.newBuilder(t.url(
                        "/api/auth/register")).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":")).build(), 400, ErrorCode.INVALID_REQUEST));
    }

    private static void offsetsChunksAndCredit(Map<String, Attempt> cases) {
        put(cases, "write start beyond the durable offset", (t, random) -> {
            String id = t.ownUpload(1000);
            RelayException e = expectCode(t.attackerClient.write(id, 500, Flux.just(ByteBuffer.allocate(500)))
                    .then(), ErrorCode.OFFSET_MISMATCH);
            assertThat(e.offset()).as("the server's offset").isZero();
        });
        put(cases, "negative write start", (t, random) -> expectCode(t.attackerClient.write(t.ownUpload(1000), -1,
                Flux.empty()).then(), ErrorCode.INVALID_REQUEST));
        put(cases, "read offset beyond the size", (t, random) -> expectCode(t.attackerClient.read(t.ownFile(),
                1_000_000).then(), ErrorCode.INVALID_REQUEST));
        put(cases, "negative read offset", (t, random) -> expectCode(t.attackerClient.read(t.ownFile(), -5).then(),
                ErrorCode.INVALID_REQUEST));
        put(cases, "chunk above maxChunkBytes", (t, random) -> {
            String id = t.ownUpload(10L * CHUNK);
            expectCode(t.attackerClient.write(id, 0, Flux.just(ByteBuffer.allocate(CHUNK + 1))).then(),
                    ErrorCode.CHUNK_TOO_LARGE);
            assertThat(t.attackerClient.upload(id).block(TIMEOUT).offset()).isZero();
        });
        put(cases, "bytes beyond the declared size", (t, random) -> {
            String id = t.ownUpload(1000);
            expectCode(t.attackerClient.write(id, 0, Flux.just(ByteBuffer.allocate(1001))).then(),
                    ErrorCode.SIZE_EXCEEDED);
        });
        put(cases, "a client that ignores request-n and floods", (t, random) -> {
            String id = t.ownUpload(64L * CHUNK);
            Flux<Payload> flood = Flux.create(sink -> {
                sink.next(RelayClient.payload(Routes.of(Routes.UPLOAD_WRITE, id), new WriteStart(0)));
                for (int i = 0; i < 32; i++) {
                    sink.next(ByteBufPayload.create(Unpooled.wrappedBuffer(new byte[CHUNK])));
                }
            }, FluxSink.OverflowStrategy.IGNORE);
            assertThatThrownBy(() -> t.attackerClient.rsocket().flatMapMany(r -> r.requestChannel(flood))
                    .blockLast(TIMEOUT))
                    .isInstanceOf(ApplicationErrorException.class)
                    .hasMessageContaining("\"code\":\"CREDIT_EXCEEDED\"");
            UploadInfo info = t.attackerClient.upload(id).block(TIMEOUT);
            assertThat(info.state()).isEqualTo(UploadState.ACTIVE);
            assertThat(info.offset()).isLessThanOrEqualTo(WINDOW);
        });
        put(cases, "write to a completed upload", (t, random) -> expectCode(t.attackerClient.write(t.ownFile(), 0,
                Flux.just(ByteBuffer.allocate(1))).then(), ErrorCode.INVALID_STATE));
        put(cases, "negative rate cap", (t, random) -> expectCode(t.attackerClient.limit(t.ownUpload(1000), -1L),
                ErrorCode.INVALID_REQUEST));
    }

    private static void tokens(Map<String, Attempt> cases) {
        put(cases, "no token", (t, random) -> t.expectSetupRejected(null));
        put(cases, "garbled token", (t, random) -> t.expectSetupRejected("not-a-jwt"));
        put(cases, "forged signature", (t, random) -> {
            String[] parts = t.attacker.token().split("\\.");
            t.expectSetupRejected(parts[0] + "." + parts[1] + "." + "A".repeat(parts[2].length()));
        });
        put(cases, "token signed with another key", (t, random) -> t.expectSetupRejected(sign(t.attacker,
                t.victim.userId(), Instant.now().plusSeconds(3600), randomBytes(random, 32))));
        put(cases, "unsigned token (alg none) claiming the victim", (t, random) -> {
            String[] parts = t.attacker.token().split("\\.");
            String header = b64("{\"alg\":\"none\"}");
            String claims = b64(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                    .replace(t.attacker.userId(), t.victim.userId()));
            t.expectSetupRejected(header + "." + claims + ".");
        });
        put(cases, "expired token (valid signature)", (t, random) -> t.expectSetupRejected(sign(t.attacker,
                t.attacker.userId(), Instant.now().minusSeconds(3600), serviceKey())));
        put(cases, "expired token over HTTP", (t, random) -> t.expectHttp(HttpRequest.newBuilder(t.url(
                        "/api/files/" + t.victimFile.id() + "/content")).header("Authorization", "Bearer " + sign(
                        t.attacker, t.attacker.userId(), Instant.now().minusSeconds(3600), serviceKey())).build(), 401,
                ErrorCode.UNAUTHENTICATED));
        put(cases, "valid signature, unknown account", (t, random) -> t.expectSetupRejected(sign(t.attacker,
                UUID.randomUUID().toString(), Instant.now().plusSeconds(3600), serviceKey())));
    }

    private static void otherUsersIds(Map<String, Attempt> cases) {
        put(cases, "other user's upload: get, write, pause, resume, cancel, limit, telemetry", (t, random) -> {
            String id = t.victimPartial.id();
            RelayClient attacker = t.attackerClient;
            for (Mono<?> attempt : List.of(attacker.upload(id), attacker.write(id, 0,
                            Flux.just(ByteBuffer.allocate(10))).then(), attacker.pause(id), attacker.resume(id),
                    attacker.cancel(id), attacker.limit(id, 1000L), attacker.telemetry(id).take(1).then())) {
                expectCode(attempt, ErrorCode.NOT_FOUND);
            }
        });
        put(cases, "other user's file: info, read, read from an offset", (t, random) -> {
            expectCode(t.attackerClient.file(t.victimFile.id()), ErrorCode.NOT_FOUND);
            expectCode(t.attackerClient.read(t.victimFile.id(), 0).then(), ErrorCode.NOT_FOUND);
            expectCode(t.attackerClient.read(t.victimFile.id(), 100).then(), ErrorCode.NOT_FOUND);
        });
        put(cases, "other user's file over HTTP", (t, random) -> t.expectHttp(HttpRequest.newBuilder(t.url(
                        "/api/files/" + t.victimFile.id() + "/content"))
                .header("Authorization", "Bearer " + t.attacker.token()).build(), 404, ErrorCode.NOT_FOUND));
        put(cases, "other user's message: delete", (t, random) -> expectCode(t.attackerClient.deleteMessage(
                t.victim.userId(), t.victimMessage.id()), ErrorCode.FORBIDDEN));
        put(cases, "admin routes as a user", (t, random) -> {
            expectCode(t.attackerClient.adminUsers().then(), ErrorCode.ADMIN_ONLY);
            expectCode(t.attackerClient.disableUser(t.victim.userId()), ErrorCode.ADMIN_ONLY);
            expectCode(t.attackerClient.deleteFile(t.victimFile.id()), ErrorCode.ADMIN_ONLY);
        });
        put(cases, "ids that are not UUIDs", (t, random) -> {
            expectCode(t.attackerClient.upload("not-a-uuid"), ErrorCode.NOT_FOUND);
            expectCode(t.attackerClient.file("'; DROP TABLE uploads; --"), ErrorCode.NOT_FOUND);
            expectCode(t.attackerClient.sendText("no-such-user", "hi"), ErrorCode.NOT_FOUND);
        });
    }

    private static void namesAndText(Map<String, Attempt> cases) {
        for (String name : FILE_NAMES) {
            put(cases, "file name " + printable(name), (t, random) -> expectCode(t.attackerClient.createUpload(
                    new CreateUploadRequest(name, 10, null, null)), ErrorCode.INVALID_REQUEST));
        }
        put(cases, "display name with a right-to-left override", (t, random) -> expectCode(
                t.attackerClient.updateProfile("admin\u202Enimda"), ErrorCode.INVALID_REQUEST));
        put(cases, "chat text of 4001 characters", (t, random) -> expectCode(t.attackerClient.sendText(
                t.victim.userId(), "x".repeat(4001)), ErrorCode.INVALID_REQUEST));
        put(cases, "chat text of 1 MiB", (t, random) -> expectCode(t.attackerClient.sendText(t.victim.userId(),
                "y".repeat(1 << 20)), ErrorCode.INVALID_REQUEST));
        put(cases, "blank chat text", (t, random) -> expectCode(t.attackerClient.sendText(t.victim.userId(),
                " \n\t "), ErrorCode.INVALID_REQUEST));
        put(cases, "bad sha256 and size", (t, random) -> {
            expectCode(t.attackerClient.createUpload(new CreateUploadRequest("a", 10, null, "xyz")),
                    ErrorCode.INVALID_REQUEST);
            expectCode(t.attackerClient.createUpload(new CreateUploadRequest("a", -1, null, null)),
                    ErrorCode.INVALID_REQUEST);
            expectCode(t.attackerClient.createUpload(new CreateUploadRequest("a", Long.MAX_VALUE, null, null)),
                    ErrorCode.FILE_TOO_LARGE);
        });
        put(cases, "bad content type", (t, random) -> expectCode(t.attackerClient.createUpload(
                new CreateUploadRequest("a", 10, "text/html\r\nX-Injected: 1", null)), ErrorCode.INVALID_REQUEST));
    }

    private static void put(Map<String, Attempt> cases, String name, Attempt attempt) {
        if (cases.putIfAbsent(name, attempt) != null) {
            throw new IllegalStateException("two cases named " + name);
        }
    }

    // ---- building bad input ----

    /** The service's own token signing key (the test services' secret). */
    private static byte[] serviceKey() {
        return Base64.getDecoder().decode(TestServices.get().jwtSecret());
    }

    /** A token shaped like {@code like}'s (same claims) for {@code subject}, signed with {@code key}. */
    private static String sign(AuthToken like, String subject, Instant expires, byte[] key) throws Exception {
        Map<?, ?> claims = new ObjectMapper().readValue(Base64.getUrlDecoder().decode(like.token().split("\\.")[1]),
                Map.class);
        JWTClaimsSet set = new JWTClaimsSet.Builder()
                .issuer("relay")
                .subject(subject)
                .claim("name", like.username())
                .claim("ver", claims.get("ver"))
                .issueTime(Date.from(expires.minusSeconds(7200)))
                .expirationTime(Date.from(expires))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), set);
        jwt.sign(new MACSigner(key));
        return jwt.serialize();
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] randomBytes(Random random, int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }

    /** A file name as a case name: quoted, control and invisible characters escaped, long names shortened. */
    private static String printable(String name) {
        StringBuilder out = new StringBuilder("\"");
        String shown = name.length() > 20 ? name.substring(0, 8) + "...(" + name.length() + " chars)" : name;
        for (char c : shown.toCharArray()) {
            int type = Character.getType(c);
            boolean unseen = Character.isISOControl(c) || type == Character.FORMAT
                    || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
            out.append(unseen ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return out.append('"').toString();
    }
}
