package dev.relay.web.faults;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.relay.api.ErrorCode;
import dev.relay.api.MimeTypes;
import dev.relay.api.Routes;
import dev.relay.api.UploadState;
import dev.relay.api.client.FileTransfers;
import dev.relay.api.client.RelayAuth;
import dev.relay.api.client.RelayClient;
import dev.relay.api.client.RelayException;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.ChatMessage;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.api.wire.UserInfo;
import dev.relay.api.wire.WriteStart;
import dev.relay.infra.testing.TestServices;
import dev.relay.web.support.ServiceIntegrationTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.exceptions.CanceledException;
import io.rsocket.frame.SetupFrameCodec;
import io.rsocket.metadata.CompositeMetadataCodec;
import io.rsocket.metadata.WellKnownMimeType;
import io.rsocket.util.ByteBufPayload;
import io.rsocket.util.DefaultPayload;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * Issue #4, case 4: bad input of every kind, from garbage on the WebSocket to other users' ids. Each case must get
 * its documented error, and after each one the service must still answer a normal request, the victim's completed
 * file must still download with the same SHA-256 and the victim's unfinished upload must be where it was.
 */
class BadInputFaultIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind
            .ObjectMapper().configure(com.fasterxml.jackson.databind.DeserializationFeature
                    .FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final HttpClient http = HttpClient.newHttpClient();
    private AuthToken victim;
    private AuthToken attacker;
    private RelayClient victimClient;
    private RelayClient attackerClient;
    private UploadInfo victimFile;
    private String victimSha;
    private UploadInfo victimPartial;
    private ChatMessage victimMessage;

    private interface Case {
        void run() throws Exception;
    }

    @Test
    void everyBadInputGetsItsErrorAndChangesNothing() throws Exception {
        setUp();
        runAndRecord("bad-input", "bad input (frames, metadata, routes, JSON, offsets, chunks, flooding, tokens,"
                + " other users' ids, names, text)", cases(FaultSettings.random("bad-input")));
    }

    private Map<String, Case> cases(Random random) {
        Map<String, Case> cases = new java.util.LinkedHashMap<>();

        // ---- frames and metadata ----
        cases.put("garbage bytes instead of SETUP", () -> rawWebSocket(randomBytes(random, 512), false, true));
        // Random bytes with an undefined frame type: random bytes that happen to read as, say, a REQUEST_N for an
        // unknown stream are ignored, as the RSocket spec allows, and prove nothing.
        cases.put("garbage frame (undefined type) after a valid SETUP", () -> {
            byte[] garbage = randomBytes(random, 512);
            int type = 0x12 + random.nextInt(0x3F - 0x12);
            // Type in the high 6 bits; the IGNORE flag (0x02 of this byte) stays clear, or the spec lets the server
            // drop the frame silently, which is what it then does.
            garbage[4] = (byte) (type << 2 | garbage[4] & 0x01);
            garbage[0] &= 0x7F; // a valid stream id, so that the type is what gets judged
            rawWebSocket(garbage, true, true);
        });
        cases.put("truncated frame (3 bytes) after SETUP", () -> rawWebSocket(new byte[]{0, 0, 1}, true, true));
        cases.put("request on stream 0 after SETUP", () -> rawWebSocket(requestResponseOnStreamZero(), true, true));
        cases.put("WebSocket message of 3 MiB (above the 2 MiB frame limit)",
                () -> rawWebSocket(randomBytes(random, 3 * 1024 * 1024), true, false));
        cases.put("invalid composite metadata", () -> expectCode(attackerClient.rsocket().flatMap(r ->
                        r.requestResponse(ByteBufPayload.create(Unpooled.EMPTY_BUFFER,
                                Unpooled.wrappedBuffer(randomBytes(random, 40))))), ErrorCode.INVALID_REQUEST));
        cases.put("composite metadata without a route", () -> expectCode(attackerClient.rsocket().flatMap(r ->
                        r.requestResponse(ByteBufPayload.create(Unpooled.EMPTY_BUFFER, noRoute()))),
                ErrorCode.UNKNOWN_ROUTE));
        cases.put("no metadata at all", () -> expectCode(attackerClient.rsocket().flatMap(r ->
                r.requestResponse(DefaultPayload.create(new byte[0]))), ErrorCode.UNKNOWN_ROUTE));
        cases.put("unknown route (request-response)", () -> expectCode(raw("files.x.frobnicate", null),
                ErrorCode.UNKNOWN_ROUTE));
        cases.put("unknown route (request-stream)", () -> expectCode(attackerClient.rsocket().flatMapMany(r ->
                r.requestStream(RelayClient.payload("nothing.here", null))).then(), ErrorCode.UNKNOWN_ROUTE));
        cases.put("unknown route (request-channel)", () -> expectCode(attackerClient.rsocket().flatMapMany(r ->
                r.requestChannel(Flux.just(RelayClient.payload("nothing.here", null)))).then(),
                ErrorCode.UNKNOWN_ROUTE));
        cases.put("unknown route (fire-and-forget; nothing to answer)", () -> attackerClient.rsocket()
                .flatMap(r -> r.fireAndForget(RelayClient.payload("nothing.here", null))).block(TIMEOUT));
        cases.put("route of 255 bytes (the longest routing tag)", () -> expectCode(raw("uploads." + "x".repeat(247),
                null), ErrorCode.NOT_FOUND));

        // ---- JSON ----
        cases.put("bad JSON (uploads.create)", () -> expectCode(rawJson(Routes.UPLOADS_CREATE, "{\"name\": "),
                ErrorCode.INVALID_REQUEST));
        cases.put("wrong JSON types (uploads.create)", () -> expectCode(rawJson(Routes.UPLOADS_CREATE,
                "{\"name\": [1], \"size\": \"big\"}"), ErrorCode.INVALID_REQUEST));
        cases.put("JSON that is not an object (uploads.create)", () -> expectCode(rawJson(Routes.UPLOADS_CREATE,
                "42"), ErrorCode.INVALID_REQUEST));
        cases.put("invalid UTF-8 (uploads.create)", () -> expectCode(raw(Routes.UPLOADS_CREATE,
                new byte[]{'{', '"', 'n', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'}), ErrorCode.INVALID_REQUEST));
        cases.put("no body (uploads.create)", () -> expectCode(raw(Routes.UPLOADS_CREATE, null),
                ErrorCode.INVALID_REQUEST));
        cases.put("bad JSON (chat send)", () -> expectCode(rawJson(Routes.chat(Routes.CHAT_SEND, victim.userId()),
                "{text"), ErrorCode.INVALID_REQUEST));
        cases.put("bad JSON (files read)", () -> expectCode(rawStream(Routes.of(Routes.FILE_READ, ownFile()),
                "{offset:"), ErrorCode.INVALID_REQUEST));
        cases.put("bad JSON (events)", () -> expectCode(rawStream(Routes.EVENTS, "[[["), ErrorCode.INVALID_REQUEST));
        cases.put("bad JSON (write start)", () -> expectCode(attackerClient.rsocket().flatMapMany(r ->
                r.requestChannel(Flux.just(ByteBufPayload.create(Unpooled.wrappedBuffer("{off".getBytes()),
                        RelayClient.routeMetadata(Routes.of(Routes.UPLOAD_WRITE, ownUpload(1000))))))).then(),
                ErrorCode.INVALID_REQUEST));
        cases.put("bad JSON (HTTP register)", () -> expectHttp(HttpRequest.newBuilder(http().resolve(
                "/api/auth/register")).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":")).build(), 400, ErrorCode.INVALID_REQUEST));

        // ---- offsets, chunks, credit ----
        cases.put("write start beyond the durable offset", () -> {
            String id = ownUpload(1000);
            RelayException e = expectCode(attackerClient.write(id, 500, Flux.just(ByteBuffer.allocate(500))).then(),
                    ErrorCode.OFFSET_MISMATCH);
            assertThat(e.offset()).as("the server's offset").isZero();
        });
        cases.put("negative write start", () -> expectCode(attackerClient.write(ownUpload(1000), -1, Flux.empty())
                .then(), ErrorCode.INVALID_REQUEST));
        cases.put("read offset beyond the size", () -> expectCode(attackerClient.read(ownFile(), 1_000_000).then(),
                ErrorCode.INVALID_REQUEST));
        cases.put("negative read offset", () -> expectCode(attackerClient.read(ownFile(), -5).then(),
                ErrorCode.INVALID_REQUEST));
        cases.put("chunk above maxChunkBytes", () -> {
            String id = ownUpload(10L * CHUNK);
            expectCode(attackerClient.write(id, 0, Flux.just(ByteBuffer.allocate(CHUNK + 1))).then(),
                    ErrorCode.CHUNK_TOO_LARGE);
            assertThat(attackerClient.upload(id).block(TIMEOUT).offset()).isZero();
        });
        cases.put("bytes beyond the declared size", () -> {
            String id = ownUpload(1000);
            expectCode(attackerClient.write(id, 0, Flux.just(ByteBuffer.allocate(1001))).then(),
                    ErrorCode.SIZE_EXCEEDED);
        });
        cases.put("a client that ignores request-n and floods", () -> {
            String id = ownUpload(64L * CHUNK);
            Flux<Payload> flood = Flux.create(sink -> {
                sink.next(RelayClient.payload(Routes.of(Routes.UPLOAD_WRITE, id), new WriteStart(0)));
                for (int i = 0; i < 32; i++) {
                    sink.next(ByteBufPayload.create(Unpooled.wrappedBuffer(new byte[CHUNK])));
                }
            }, FluxSink.OverflowStrategy.IGNORE);
            // rsocket-java cancels the channel itself (docs/protocol.md, Credit); CREDIT_EXCEEDED stands behind it.
            assertThatThrownBy(() -> attackerClient.rsocket().flatMapMany(r -> r.requestChannel(flood))
                    .blockLast(TIMEOUT))
                    .satisfiesAnyOf(
                            e -> assertThat(e).isInstanceOf(CanceledException.class)
                                    .hasMessageContaining("exceeds the number requested"),
                            e -> assertThat(((RelayException) e).code()).isEqualTo(ErrorCode.CREDIT_EXCEEDED));
            UploadInfo info = attackerClient.upload(id).block(TIMEOUT);
            assertThat(info.state()).isEqualTo(UploadState.ACTIVE);
            assertThat(info.offset()).isLessThanOrEqualTo(WINDOW);
        });
        cases.put("write to a completed upload", () -> expectCode(attackerClient.write(ownFile(), 0,
                Flux.just(ByteBuffer.allocate(1))).then(), ErrorCode.INVALID_STATE));
        cases.put("negative rate cap", () -> expectCode(attackerClient.limit(ownUpload(1000), -1L),
                ErrorCode.INVALID_REQUEST));

        // ---- tokens ----
        cases.put("no token", () -> expectSetupRejected(null));
        cases.put("garbled token", () -> expectSetupRejected("not-a-jwt"));
        cases.put("forged signature", () -> {
            String[] parts = attacker.token().split("\\.");
            expectSetupRejected(parts[0] + "." + parts[1] + "." + "A".repeat(parts[2].length()));
        });
        cases.put("token signed with another key", () -> expectSetupRejected(sign(attacker, victim.userId(),
                Instant.now().plusSeconds(3600), randomBytes(random, 32))));
        cases.put("unsigned token (alg none) claiming the victim", () -> {
            String[] parts = attacker.token().split("\\.");
            String header = b64("{\"alg\":\"none\"}");
            String claims = b64(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                    .replace(attacker.userId(), victim.userId()));
            expectSetupRejected(header + "." + claims + ".");
        });
        cases.put("expired token (valid signature)", () -> expectSetupRejected(sign(attacker, attacker.userId(),
                Instant.now().minusSeconds(3600), Base64.getDecoder().decode(TestServices.get().jwtSecret()))));
        cases.put("expired token over HTTP", () -> expectHttp(HttpRequest.newBuilder(http().resolve(
                        "/api/files/" + victimFile.id() + "/content")).header("Authorization", "Bearer " + sign(
                        attacker, attacker.userId(), Instant.now().minusSeconds(3600),
                        Base64.getDecoder().decode(TestServices.get().jwtSecret()))).build(), 401,
                ErrorCode.UNAUTHENTICATED));
        cases.put("valid signature, unknown account", () -> expectSetupRejected(sign(attacker,
                java.util.UUID.randomUUID().toString(), Instant.now().plusSeconds(3600),
                Base64.getDecoder().decode(TestServices.get().jwtSecret()))));

        // ---- other users' ids ----
        cases.put("other user's upload: get, write, pause, resume, cancel, limit, telemetry", () -> {
            String id = victimPartial.id();
            for (Mono<?> attempt : List.of(attackerClient.upload(id), attackerClient.write(id, 0,
                            Flux.just(ByteBuffer.allocate(10))).then(), attackerClient.pause(id),
                    attackerClient.resume(id), attackerClient.cancel(id), attackerClient.limit(id, 1000L),
                    attackerClient.telemetry(id).take(1).then())) {
                expectCode(attempt, ErrorCode.NOT_FOUND);
            }
        });
        cases.put("other user's file: info, read, read from an offset", () -> {
            expectCode(attackerClient.file(victimFile.id()), ErrorCode.NOT_FOUND);
            expectCode(attackerClient.read(victimFile.id(), 0).then(), ErrorCode.NOT_FOUND);
            expectCode(attackerClient.read(victimFile.id(), 100).then(), ErrorCode.NOT_FOUND);
        });
        cases.put("other user's file over HTTP", () -> expectHttp(HttpRequest.newBuilder(http().resolve(
                        "/api/files/" + victimFile.id() + "/content"))
                .header("Authorization", "Bearer " + attacker.token()).build(), 404, ErrorCode.NOT_FOUND));
        cases.put("other user's message: delete", () -> expectCode(attackerClient.deleteMessage(victim.userId(),
                victimMessage.id()), ErrorCode.FORBIDDEN));
        cases.put("admin routes as a user", () -> {
            expectCode(attackerClient.adminUsers().then(), ErrorCode.ADMIN_ONLY);
            expectCode(attackerClient.disableUser(victim.userId()), ErrorCode.ADMIN_ONLY);
            expectCode(attackerClient.deleteFile(victimFile.id()), ErrorCode.ADMIN_ONLY);
        });
        cases.put("ids that are not UUIDs", () -> {
            expectCode(attackerClient.upload("not-a-uuid"), ErrorCode.NOT_FOUND);
            expectCode(attackerClient.file("'; DROP TABLE uploads; --"), ErrorCode.NOT_FOUND);
            expectCode(attackerClient.sendText("no-such-user", "hi"), ErrorCode.NOT_FOUND);
        });

        // ---- names and text ----
        for (String name : List.of("../etc/passwd", "a/b", "a\\b", "/abs", "..", ".", "", "   ", "a\u0000b",
                "line\nbreak", "cr\rname", "tab\tname", "esc\u001b[31mred", "del\u007f", "c1\u0085", "n".repeat(256))) {
            cases.put("file name " + printable(name), () -> expectCode(attackerClient.createUpload(
                    new CreateUploadRequest(name, 10, null, null)), ErrorCode.INVALID_REQUEST));
        }
        cases.put("chat text of 4001 characters", () -> expectCode(attackerClient.sendText(victim.userId(),
                "x".repeat(4001)), ErrorCode.INVALID_REQUEST));
        cases.put("chat text of 1 MiB", () -> expectCode(attackerClient.sendText(victim.userId(),
                "y".repeat(1 << 20)), ErrorCode.INVALID_REQUEST));
        cases.put("blank chat text", () -> expectCode(attackerClient.sendText(victim.userId(), " \n\t "),
                ErrorCode.INVALID_REQUEST));
        cases.put("bad sha256 and size", () -> {
            expectCode(attackerClient.createUpload(new CreateUploadRequest("a", 10, null, "xyz")),
                    ErrorCode.INVALID_REQUEST);
            expectCode(attackerClient.createUpload(new CreateUploadRequest("a", -1, null, null)),
                    ErrorCode.INVALID_REQUEST);
            expectCode(attackerClient.createUpload(new CreateUploadRequest("a", Long.MAX_VALUE, null, null)),
                    ErrorCode.FILE_TOO_LARGE);
        });
        cases.put("bad content type", () -> expectCode(attackerClient.createUpload(new CreateUploadRequest("a", 10,
                "text/html\r\nX-Injected: 1", null)), ErrorCode.INVALID_REQUEST));

        return cases;
    }

    private void runAndRecord(String id, String description, Map<String, Case> cases) {
        int tried = 0;
        int passed = 0;
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, Case> entry : cases.entrySet()) {
            tried++;
            try {
                entry.getValue().run();
            } catch (Throwable e) {
                failures.add(entry.getKey() + ": " + e.toString().lines().findFirst().orElse(""));
                System.out.println("[faults] bad input FAILED: " + entry.getKey());
                e.printStackTrace(System.out);
                // Still check the service below: a wrong error code must not hide a broken service.
            }
            try {
                stillHealthyAndUnchanged();
                if (failures.isEmpty() || !failures.get(failures.size() - 1).startsWith(entry.getKey() + ":")) {
                    passed++;
                }
            } catch (Throwable e) {
                failures.add(entry.getKey() + ": afterwards " + e.toString().lines().findFirst().orElse(""));
                e.printStackTrace(System.out);
            }
        }
        String figures = "after every case: a new connection's users.me answers, the victim's file downloads with"
                + " the same SHA-256, the victim's unfinished upload keeps its offset"
                + (failures.isEmpty() ? "" : "; failures: " + failures);
        FaultResults.record(id, description, tried, passed, figures);
        assertThat(failures).isEmpty();
    }

    // ---- set-up and checks ----

    private void setUp() throws Exception {
        victim = plainUser();
        attacker = plainUser();
        victimClient = client(victim);
        attackerClient = client(attacker);
        Path file = randomFile(600_000, 91);
        victimSha = FileTransfers.sha256(file);
        victimFile = new FileTransfers(victimClient).upload(file, "application/octet-stream", e -> { })
                .block(TIMEOUT);
        Path partial = randomFile(PART + 1000, 92);
        UploadTicket ticket = victimClient.createUpload(FileTransfers.describe(partial, null)).block(TIMEOUT);
        victimClient.write(ticket.id(), 0, FileTransfers.read(partial, 0, CHUNK).take(3)).blockLast(TIMEOUT);
        victimPartial = awaitUpload(victimClient, ticket.id(), i -> i.offset() == 3L * CHUNK, TIMEOUT);
        victimMessage = victimClient.sendText(attacker.userId(), "hello").block(TIMEOUT);
    }

    /** A user that is not an administrator (the first account of a database is one). */
    private AuthToken plainUser() {
        AuthToken user = newUser();
        return user.role() == UserInfo.Role.ADMIN ? newUser() : user;
    }

    private void stillHealthyAndUnchanged() throws Exception {
        RelayClient fresh = RelayClient.connect(ws(), attacker.token());
        try {
            assertThat(fresh.me().block(TIMEOUT).id()).isEqualTo(attacker.userId());
        } finally {
            fresh.close();
        }
        assertThat(victimClient.me().block(TIMEOUT).id()).as("the victim's connection").isEqualTo(victim.userId());
        Path copy = Files.createTempDirectory(FaultResults.DIR.toAbsolutePath().getParent(), "dl")
                .resolve("copy.bin");
        try {
            new FileTransfers(victimClient).download(victimFile.id(), copy).block(TIMEOUT);
            assertThat(FileTransfers.sha256(copy)).as("the victim's file").isEqualTo(victimSha);
        } finally {
            Files.deleteIfExists(copy);
            Files.deleteIfExists(copy.getParent());
        }
        UploadInfo partial = victimClient.upload(victimPartial.id()).block(TIMEOUT);
        assertThat(partial.state()).as("the victim's unfinished upload").isEqualTo(victimPartial.state());
        assertThat(partial.offset()).as("the victim's unfinished upload").isEqualTo(victimPartial.offset());
    }

    private final List<String> ownUploads = new ArrayList<>();

    /** A fresh upload of the attacker's own (the per-user limit of open uploads is 20: cancel older ones). */
    private String ownUpload(long size) {
        if (ownUploads.size() >= 10) {
            attackerClient.cancel(ownUploads.remove(0)).block(TIMEOUT);
        }
        String id = attackerClient.createUpload(new CreateUploadRequest("own.bin", size, null, null)).block(TIMEOUT)
                .id();
        ownUploads.add(id);
        return id;
    }

    private String ownFileId;

    private String ownFile() throws Exception {
        if (ownFileId == null) {
            ownFileId = new FileTransfers(attackerClient).upload(randomFile(1000, 93), null, e -> { }).block(TIMEOUT)
                    .id();
        }
        return ownFileId;
    }

    // ---- expectations ----

    private static RelayException expectCode(Mono<?> call, ErrorCode code) {
        try {
            Object value = call.block(TIMEOUT);
            return fail("expected " + code + ", got a response: " + value);
        } catch (RuntimeException e) {
            if (!(translate(e) instanceof RelayException re)) {
                throw e;
            }
            assertThat(re.code()).as(re.getMessage()).isEqualTo(code);
            return re;
        }
    }

    private void expectSetupRejected(String token) {
        RelayClient client = RelayClient.connect(ws(), token, Retry.backoff(0, Duration.ofMillis(1)));
        try {
            expectCode(client.me(), ErrorCode.UNAUTHENTICATED);
        } finally {
            client.close();
        }
    }

    private void expectHttp(HttpRequest request, int status, ErrorCode code) throws Exception {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.body()).contains("\"code\":\"" + code + "\"");
    }

    /**
     * Opens a WebSocket to the RSocket endpoint without rsocket-java, optionally sends a valid SETUP, then sends
     * {@code bytes} as one binary message: the server must answer with an ERROR frame or close the connection
     * (never hang, never crash). What it answered is printed.
     */
    /**
     * Sends raw bytes as one WebSocket message and expects the server to close the connection, answering with
     * nothing but ERROR frames: at least one when {@code errorFrame}, which a frame the RSocket layer sees must get
     * (a message above the WebSocket limit is refused by the WebSocket layer before any frame exists).
     */
    private void rawWebSocket(byte[] bytes, boolean setupFirst, boolean errorFrame) throws Exception {
        CompletableFuture<String> ended = new CompletableFuture<>();
        List<String> frames = new java.util.concurrent.CopyOnWriteArrayList<>();
        WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create(ws().toString()),
                new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                        frames.add(describeFrame(data));
                        ws.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
                        ended.complete("closed " + status + " " + reason);
                        return null;
                    }

                    @Override
                    public void onError(WebSocket ws, Throwable error) {
                        ended.complete("error " + error);
                    }
                }).get(10, TimeUnit.SECONDS);
        try {
            if (setupFirst) {
                socket.sendBinary(ByteBuffer.wrap(setupFrame(attacker.token())), true).get(10, TimeUnit.SECONDS);
            }
            try {
                socket.sendBinary(ByteBuffer.wrap(bytes), true).get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                // The server closed the connection while the message was still being sent.
                ended.complete("closed while sending: " + e.getCause());
            }
            String how = awaitClosed(socket, ended, frames);
            System.out.println("[faults] raw WebSocket: server answered " + frames + ", then " + how);
            assertThat(frames).as("only ERROR frames come back")
                    .allSatisfy(f -> assertThat(f).startsWith("ERROR stream 0 "));
            if (errorFrame) {
                assertThat(frames).as("an ERROR frame tells the client why it is being disconnected").isNotEmpty();
            }
        } finally {
            socket.abort();
        }
    }

    /**
     * Waits up to 20 s for the server to close the connection. The JDK's WebSocket does not always report a TCP close
     * that comes without a WebSocket close frame (seen right after an ERROR frame), so a ping every half second
     * finds out: writing to a connection the server has closed fails.
     */
    private static String awaitClosed(WebSocket socket, CompletableFuture<String> ended, List<String> frames)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try {
                return ended.get(500, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException stillOpen) {
                try {
                    socket.sendPing(ByteBuffer.allocate(0)).get(5, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    return "closed (a ping failed: " + e.getCause() + ")";
                }
            }
        }
        throw new AssertionError("the server did not close the connection within 20 s; it answered " + frames);
    }

    private static String describeFrame(ByteBuffer data) {
        if (data.remaining() < 6) {
            return "short frame of " + data.remaining() + " bytes";
        }
        int streamId = data.getInt(data.position());
        int type = (data.getShort(data.position() + 4) & 0xFFFF) >>> 10;
        if (type == 0x0B && data.remaining() >= 10) {
            int code = data.getInt(data.position() + 6);
            byte[] message = new byte[data.remaining() - 10];
            data.duplicate().position(data.position() + 10).get(message);
            return String.format("ERROR stream %d code 0x%X %s", streamId, code,
                    new String(message, StandardCharsets.UTF_8));
        }
        return String.format("frame type 0x%X on stream %d", type, streamId);
    }

    private static byte[] setupFrame(String token) {
        ByteBuf frame = SetupFrameCodec.encode(ByteBufAllocator.DEFAULT, false, 20_000, 90_000,
                Unpooled.EMPTY_BUFFER, MimeTypes.COMPOSITE_METADATA, MimeTypes.JSON,
                ByteBufPayload.create(Unpooled.EMPTY_BUFFER, RelayClient.bearer(token)));
        try {
            return ByteBufUtil.getBytes(frame);
        } finally {
            frame.release();
        }
    }

    /** A REQUEST_RESPONSE frame on stream 0, which only the connection itself may use. */
    private static byte[] requestResponseOnStreamZero() {
        ByteBuffer frame = ByteBuffer.allocate(6 + 2);
        frame.putInt(0);
        frame.putShort((short) (0x04 << 10));
        frame.put((byte) '{').put((byte) '}');
        return frame.array();
    }

    private static ByteBuf noRoute() {
        CompositeByteBuf metadata = ByteBufAllocator.DEFAULT.compositeBuffer();
        CompositeMetadataCodec.encodeAndAddMetadata(metadata, ByteBufAllocator.DEFAULT,
                WellKnownMimeType.TEXT_PLAIN, Unpooled.wrappedBuffer("hello".getBytes(StandardCharsets.UTF_8)));
        return metadata;
    }

    private Mono<Object> raw(String route, byte[] data) {
        return attackerClient.rsocket().flatMap((RSocket r) -> r.requestResponse(ByteBufPayload.create(
                        data == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(data),
                        RelayClient.routeMetadata(route))))
                .map(p -> {
                    String text = p.getDataUtf8();
                    p.release();
                    return (Object) text;
                })
                .onErrorMap(BadInputFaultIntegrationTests::translate);
    }

    private Mono<Object> rawJson(String route, String json) {
        return raw(route, json.getBytes(StandardCharsets.UTF_8));
    }

    private Mono<Object> rawStream(String route, String json) {
        return attackerClient.rsocket().flatMapMany(r -> r.requestStream(ByteBufPayload.create(
                        Unpooled.wrappedBuffer(json.getBytes(StandardCharsets.UTF_8)),
                        RelayClient.routeMetadata(route))))
                .doOnNext(Payload::release)
                .then(Mono.empty())
                .onErrorMap(BadInputFaultIntegrationTests::translate);
    }

    /** The client's own mapping of coded errors (RelayClient.translate is package-private). */
    private static Throwable translate(Throwable e) {
        String message = e.getMessage();
        if (e instanceof io.rsocket.exceptions.ApplicationErrorException && message != null
                && message.startsWith("{")) {
            try {
                var body = JSON.readValue(message, dev.relay.api.wire.ErrorBody.class);
                return new RelayException(body.code(), body.message(), body.offset(), e);
            } catch (java.io.IOException notOurs) {
                return e;
            }
        }
        return e;
    }

    private static String sign(AuthToken like, String subject, Instant expires, byte[] key) throws Exception {
        Map<?, ?> claims = JSON.readValue(Base64.getUrlDecoder().decode(like.token().split("\\.")[1]),
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

    private static String printable(String name) {
        StringBuilder out = new StringBuilder("\"");
        String shown = name.length() > 20 ? name.substring(0, 8) + "...(" + name.length() + " chars)" : name;
        for (char c : shown.toCharArray()) {
            out.append(Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return out.append('"').toString();
    }
}
