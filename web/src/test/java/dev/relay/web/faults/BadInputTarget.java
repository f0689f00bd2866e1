package dev.relay.web.faults;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.api.ErrorCode;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.ChatMessage;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.ErrorBody;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import dev.relay.infra.testing.TestFiles;
import io.netty.buffer.Unpooled;
import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.exceptions.ApplicationErrorException;
import io.rsocket.util.ByteBufPayload;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * What the bad-input cases aim at, set up once for all of them: a victim with a completed file, an unfinished upload
 * and a chat message, and an attacker (a plain user too) whose connection sends the bad input. Also the attacker's
 * raw calls, the expectations on their answers, and the check that runs after every case.
 */
final class BadInputTarget {

    static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    final AuthToken victim;
    final AuthToken attacker;
    final RelayClient victimClient;
    final RelayClient attackerClient;
    final UploadInfo victimFile;
    final UploadInfo victimPartial;
    final ChatMessage victimMessage;
    private final String victimSha;
    private final URI http;
    private final URI ws;
    private final HttpClient httpClient = HttpClient.newHttpClient();
    private final List<String> ownUploads = new ArrayList<>();
    private String ownFileId;

    /**
     * Gives the victim a completed file ({@code file}), an unfinished upload of {@code partial} with three chunks of
     * {@code chunk} bytes stored, and a message to the attacker.
     */
    static BadInputTarget prepare(URI http, URI ws, AuthToken victim, RelayClient victimClient, AuthToken attacker,
                                  RelayClient attackerClient, Path file, Path partial, int chunk) throws Exception {
        UploadInfo victimFile = new FileTransfers(victimClient).upload(file, "application/octet-stream", e -> { })
                .block(TIMEOUT);
        UploadTicket ticket = victimClient.createUpload(FileTransfers.describe(partial, null)).block(TIMEOUT);
        victimClient.write(ticket.id(), 0, FileTransfers.read(partial, 0, chunk).take(3)).blockLast(TIMEOUT);
        UploadInfo victimPartial = Mono.defer(() -> victimClient.upload(ticket.id()))
                .filter(info -> info.offset() == 3L * chunk)
                .repeatWhenEmpty(tick -> tick.delayElements(Duration.ofMillis(50)))
                .block(TIMEOUT);
        ChatMessage victimMessage = victimClient.sendText(attacker.userId(), "hello").block(TIMEOUT);
        return new BadInputTarget(http, ws, victim, victimClient, attacker, attackerClient, victimFile,
                FileTransfers.sha256(file), victimPartial, victimMessage);
    }

    /**
     * @param victimSha     the SHA-256 of {@code victimFile}'s content, which it must keep
     * @param victimPartial the victim's unfinished upload as it was before the first case
     */
    BadInputTarget(URI http, URI ws, AuthToken victim, RelayClient victimClient, AuthToken attacker,
                   RelayClient attackerClient, UploadInfo victimFile, String victimSha, UploadInfo victimPartial,
                   ChatMessage victimMessage) {
        this.http = http;
        this.ws = ws;
        this.victim = victim;
        this.victimClient = victimClient;
        this.attacker = attacker;
        this.attackerClient = attackerClient;
        this.victimFile = victimFile;
        this.victimSha = victimSha;
        this.victimPartial = victimPartial;
        this.victimMessage = victimMessage;
    }

    // ---- after every case ----

    /**
     * A new connection's {@code users.me} answers, so does the victim's long-lived connection, the victim's completed
     * file downloads with the same SHA-256 and the victim's unfinished upload keeps its state and offset.
     */
    void stillHealthyAndUnchanged() throws Exception {
        RelayClient fresh = RelayClient.connect(ws, attacker.token());
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

    // ---- the attacker's own things ----

    /** A fresh upload of the attacker's own (the per-user limit of open uploads is 20: cancel older ones). */
    String ownUpload(long size) {
        if (ownUploads.size() >= 10) {
            attackerClient.cancel(ownUploads.remove(0)).block(TIMEOUT);
        }
        String id = attackerClient.createUpload(new CreateUploadRequest("own.bin", size, null, null)).block(TIMEOUT)
                .id();
        ownUploads.add(id);
        return id;
    }

    /** A completed file of the attacker's own, uploaded by the first case that asks for it. */
    String ownFile() throws Exception {
        if (ownFileId == null) {
            ownFileId = new FileTransfers(attackerClient).upload(TestFiles.random(1000, 93), null, e -> { })
                    .block(TIMEOUT).id();
        }
        return ownFileId;
    }

    // ---- raw calls as the attacker ----

    /** A request-response on {@code route} with {@code data} as it is (none if null), answered as text. */
    Mono<Object> raw(String route, byte[] data) {
        return attackerClient.rsocket().flatMap((RSocket r) -> r.requestResponse(ByteBufPayload.create(
                        data == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(data),
                        RelayClient.routeMetadata(route))))
                .map(p -> {
                    String text = p.getDataUtf8();
                    p.release();
                    return (Object) text;
                })
                .onErrorMap(BadInputTarget::translate);
    }

    Mono<Object> rawJson(String route, String json) {
        return raw(route, json.getBytes(StandardCharsets.UTF_8));
    }

    /** A request-stream on {@code route} with {@code json} as its data; completes empty once the stream ends. */
    Mono<Object> rawStream(String route, String json) {
        return attackerClient.rsocket().flatMapMany(r -> r.requestStream(ByteBufPayload.create(
                        Unpooled.wrappedBuffer(json.getBytes(StandardCharsets.UTF_8)),
                        RelayClient.routeMetadata(route))))
                .doOnNext(Payload::release)
                .then(Mono.empty())
                .onErrorMap(BadInputTarget::translate);
    }

    /** See {@link RawFrames#expectErrorAndClose}; {@code setupFirst} sends the attacker's valid SETUP first. */
    void rawWebSocket(byte[] bytes, boolean setupFirst, boolean errorFrame) throws Exception {
        RawFrames.expectErrorAndClose(httpClient, ws, setupFirst ? attacker.token() : null, bytes, errorFrame);
    }

    URI url(String path) {
        return http.resolve(path);
    }

    // ---- expectations ----

    /** {@code call} must fail with {@code code}; returns the error for further checks. */
    static RelayException expectCode(Mono<?> call, ErrorCode code) {
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

    /** A connection set up with {@code token} (none if null) must be refused: its first request UNAUTHENTICATED. */
    void expectSetupRejected(String token) {
        RelayClient client = RelayClient.connect(ws, token, Retry.backoff(0, Duration.ofMillis(1)));
        try {
            expectCode(client.me(), ErrorCode.UNAUTHENTICATED);
        } finally {
            client.close();
        }
    }

    void expectHttp(HttpRequest request, int status, ErrorCode code) throws Exception {
        HttpResponse<String> response = httpClient.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.body()).contains("\"code\":\"" + code + "\"");
    }

    /** The client's own mapping of coded errors (RelayClient.translate is package-private). */
    private static Throwable translate(Throwable e) {
        String message = e.getMessage();
        if (e instanceof ApplicationErrorException && message != null && message.startsWith("{")) {
            try {
                ErrorBody body = JSON.readValue(message, ErrorBody.class);
                return new RelayException(body.code(), body.message(), body.offset(), e);
            } catch (IOException notOurs) {
                return e;
            }
        }
        return e;
    }
}
