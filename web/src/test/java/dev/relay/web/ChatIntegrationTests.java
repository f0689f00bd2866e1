package dev.relay.web;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.ChatMessage;
import dev.relay.api.wire.Conversation;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.Event;
import dev.relay.api.wire.FileInfo;
import dev.relay.api.wire.ReadMarker;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import dev.relay.infra.testing.TestServices;
import dev.relay.streaming.upload.UploadExpiry;
import dev.relay.web.support.EventProbe;
import dev.relay.web.support.ServiceIntegrationTest;
import io.minio.StatObjectArgs;
import io.netty.buffer.Unpooled;
import io.rsocket.util.ByteBufPayload;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Conversations between real users over real connections: delivery, history, read markers, file messages. */
@TestPropertySource(properties = {"relay.chat.max-text-length=100", "relay.chat.message-burst=30",
        "relay.chat.messages-per-minute=60"})
class ChatIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Autowired
    UploadExpiry expiry;

    @Test
    void textReachesEveryConnectionOfBothUsersInOrderAndHistoryPagesStably() {
        AuthToken alice = newUser();
        AuthToken bob = newUser();
        RelayClient aliceClient = client(alice);
        EventProbe bobTab = EventProbe.open(client(bob), 0L);
        EventProbe bobCli = EventProbe.open(client(bob), 0L);
        EventProbe aliceTab = EventProbe.open(aliceClient, 0L);

        List<ChatMessage> sent = IntStream.rangeClosed(1, 5)
                .mapToObj(i -> aliceClient.sendText(bob.userId(), "  hello " + i + "  ").block(TIMEOUT))
                .toList();
        assertThat(sent).extracting(ChatMessage::text).containsExactly("hello 1", "hello 2", "hello 3", "hello 4",
                "hello 5");
        assertThat(sent).extracting(ChatMessage::from).containsOnly(alice.userId());

        for (EventProbe probe : List.of(bobTab, bobCli, aliceTab)) {
            List<Event> messages = probe.awaitCount(isMessageBetween(alice, bob), 5, TIMEOUT);
            assertThat(messages).extracting(e -> e.message().id())
                    .containsExactlyElementsOf(sent.stream().map(ChatMessage::id).toList());
            assertThat(messages).extracting(Event::id).doesNotContainNull().isSorted();
        }

        RelayClient bobClient = client(bob);
        List<ChatMessage> page1 = bobClient.history(alice.userId(), null, 2).collectList().block(TIMEOUT);
        assertThat(page1).extracting(ChatMessage::text).containsExactly("hello 5", "hello 4");
        // A message arriving between pages does not shift the cursor.
        aliceClient.sendText(bob.userId(), "late").block(TIMEOUT);
        List<ChatMessage> page2 = bobClient.history(alice.userId(), page1.get(1).id(), 2).collectList().block(TIMEOUT);
        List<ChatMessage> page3 = bobClient.history(alice.userId(), page2.get(1).id(), 2).collectList().block(TIMEOUT);
        assertThat(page2).extracting(ChatMessage::text).containsExactly("hello 3", "hello 2");
        assertThat(page3).extracting(ChatMessage::text).containsExactly("hello 1");

        Conversation conversation = bobClient.conversations().filter(c -> c.peer().id().equals(alice.userId()))
                .blockFirst(TIMEOUT);
        assertThat(conversation.unread()).isEqualTo(6);
        assertThat(conversation.lastMessage().text()).isEqualTo("late");
        assertThat(conversation.peer().online()).isTrue();

        ReadMarker marker = bobClient.markRead(alice.userId(), sent.get(2).id()).block(TIMEOUT);
        assertThat(marker.unread()).isEqualTo(3);
        // The read marker reaches the sender, and the reader's other connections.
        aliceTab.await(e -> e.type() == Event.Type.READ && e.read().reader().equals(bob.userId())
                && e.read().messageId() == sent.get(2).id(), TIMEOUT);
        bobCli.await(e -> e.type() == Event.Type.READ && e.read().unread() == 3, TIMEOUT);
        // A marker never moves back.
        assertThat(bobClient.markRead(alice.userId(), sent.get(0).id()).block(TIMEOUT).messageId())
                .isEqualTo(sent.get(2).id());
    }

    @Test
    void aFileSentToSomeoneShowsItsLiveProgressPauseAndResumeToTheRecipientWhoAloneCanReadIt() throws Exception {
        AuthToken alice = newUser();
        AuthToken bob = newUser();
        AuthToken carol = newUser();
        RelayClient aliceClient = client(alice);
        RelayClient bobClient = client(bob);
        EventProbe bobEvents = EventProbe.open(bobClient, 0L);

        Path path = randomFile(2 * PART + 3 * CHUNK + 11, 42);
        UploadTicket ticket = aliceClient.createUpload(FileTransfers.describe(path, "application/pdf")
                .withRecipient(bob.username())).block(TIMEOUT);
        assertThat(ticket.messageId()).isNotNull();
        Event created = bobEvents.await(e -> e.type() == Event.Type.MESSAGE && e.message().id() == ticket.messageId(),
                TIMEOUT);
        assertThat(created.message().kind()).isEqualTo(ChatMessage.Kind.FILE);
        assertThat(created.message().file().state()).isEqualTo(UploadState.ACTIVE);
        assertThat(created.message().file().name()).isEqualTo(path.getFileName().toString());

        // The first part and a bit, on a channel that then ends: the recipient watches the bytes arrive.
        long firstStretch = PART + 2 * CHUNK;
        aliceClient.write(ticket.id(), 0, FileTransfers.read(path, 0, CHUNK).take(firstStretch / CHUNK))
                .blockLast(TIMEOUT);
        bobEvents.await(e -> e.type() == Event.Type.TRANSFER && e.transfer().uploadId().equals(ticket.id())
                && e.transfer().received() == firstStretch, TIMEOUT);
        assertThat(bobEvents.of(Event.Type.TRANSFER)).allSatisfy(e -> {
            assertThat(e.transfer().from()).isEqualTo(alice.userId());
            assertThat(e.transfer().to()).isEqualTo(bob.userId());
            assertThat(e.transfer().size()).isEqualTo(Files.size(path));
        });
        assertThat(bobEvents.of(Event.Type.TRANSFER).size()).as("throttled, not one per chunk")
                .isLessThan((int) (firstStretch / CHUNK));

        aliceClient.pause(ticket.id()).block(TIMEOUT);
        bobEvents.await(fileState(ticket, UploadState.PAUSED), TIMEOUT);
        aliceClient.resume(ticket.id()).block(TIMEOUT);
        bobEvents.await(fileState(ticket, UploadState.ACTIVE), TIMEOUT);

        UploadInfo done = new FileTransfers(aliceClient).resume(ticket.id(), path, CHUNK, e -> { }).block(TIMEOUT);
        assertThat(done.state()).isEqualTo(UploadState.COMPLETED);
        Event completed = bobEvents.await(fileState(ticket, UploadState.COMPLETED), TIMEOUT);
        assertThat(completed.message().file().sha256()).isEqualTo(FileTransfers.sha256(path));

        // The recipient reads it (RSocket and HTTP) and lists it; a third user cannot even see that it exists.
        Path copy = Files.createTempFile("received", ".bin");
        Files.delete(copy);
        FileInfo received = new FileTransfers(bobClient).download(ticket.id(), copy).block(TIMEOUT);
        assertThat(FileTransfers.sha256(copy)).isEqualTo(FileTransfers.sha256(path)).isEqualTo(received.sha256());
        assertThat(bobClient.files().map(FileInfo::id).collectList().block(TIMEOUT)).contains(ticket.id());
        assertThat(httpStatus(ticket.id(), bob)).isEqualTo(200);

        RelayClient carolClient = client(carol);
        assertCode(carolClient.file(ticket.id()), ErrorCode.NOT_FOUND);
        assertCode(carolClient.read(ticket.id(), 0).then(), ErrorCode.NOT_FOUND);
        assertThat(carolClient.files().map(FileInfo::id).collectList().block(TIMEOUT)).doesNotContain(ticket.id());
        assertThat(httpStatus(ticket.id(), carol)).isEqualTo(404);
        // Only the sender controls the upload itself.
        assertCode(bobClient.cancel(ticket.id()), ErrorCode.NOT_FOUND);
    }

    @Test
    void aReconnectingClientGetsWhatItMissedThenLiveEvents() {
        AuthToken alice = newUser();
        AuthToken bob = newUser();
        RelayClient aliceClient = client(alice);
        RelayClient first = client(bob);
        EventProbe before = EventProbe.open(first, 0L);
        aliceClient.sendText(bob.userId(), "seen").block(TIMEOUT);
        before.await(isMessageBetween(alice, bob), TIMEOUT);
        Long lastSeen = before.lastId();
        before.close();
        first.close();

        List<Long> missed = Flux.range(1, 3).concatMap(i -> aliceClient.sendText(bob.userId(), "missed " + i))
                .map(ChatMessage::id).collectList().block(TIMEOUT);

        EventProbe after = EventProbe.open(client(bob), lastSeen);
        List<Event> replayed = after.awaitCount(isMessageBetween(alice, bob), 3, TIMEOUT);
        assertThat(replayed).extracting(e -> e.message().id()).containsExactlyElementsOf(missed);
        assertThat(replayed.get(0).id()).isEqualTo(lastSeen + 1);

        ChatMessage live = aliceClient.sendText(bob.userId(), "live").block(TIMEOUT);
        assertThat(after.awaitCount(isMessageBetween(alice, bob), 4, TIMEOUT).get(3).message().id())
                .isEqualTo(live.id());
        assertThat(after.events().stream().filter(e -> e.id() != null).map(Event::id).toList())
                .as("no gaps, no duplicates").doesNotHaveDuplicates().isSorted();
    }

    @Test
    void presenceFollowsConnections() {
        AuthToken alice = newUser();
        AuthToken bob = newUser();
        AuthToken carol = newUser();
        RelayClient aliceClient = client(alice);
        EventProbe aliceEvents = EventProbe.open(aliceClient, 0L);
        // Presence comes for peers and watched users only (PresenceIntegrationTests has the rest).
        aliceClient.watchPresence(List.of(bob.userId())).block(TIMEOUT);
        // Once a durable event arrives, the stream is live: presence events (live-only) cannot be missed.
        client(carol).sendText(alice.userId(), "ping").block(TIMEOUT);
        aliceEvents.await(e -> e.type() == Event.Type.MESSAGE, TIMEOUT);
        RelayClient bobClient = RelayClient.connect(ws(), bob.token());
        bobClient.me().block(TIMEOUT);
        aliceEvents.await(e -> e.type() == Event.Type.PRESENCE && e.user().id().equals(bob.userId())
                && e.user().online(), TIMEOUT);
        assertThat(client(alice).users().filter(u -> u.id().equals(bob.userId())).blockFirst(TIMEOUT).online())
                .isTrue();
        bobClient.close();
        aliceEvents.await(e -> e.type() == Event.Type.PRESENCE && e.user().id().equals(bob.userId())
                && !e.user().online(), TIMEOUT);
    }

    @Test
    void deletingAFileMessageDeletesTheFileForBoth() throws Exception {
        AuthToken alice = newUser();
        AuthToken bob = newUser();
        RelayClient aliceClient = client(alice);
        RelayClient bobClient = client(bob);
        EventProbe bobEvents = EventProbe.open(bobClient, 0L);
        Path path = randomFile(3 * CHUNK, 7);
        UploadTicket ticket = aliceClient.createUpload(FileTransfers.describe(path, null)
                .withRecipient(bob.userId())).block(TIMEOUT);
        new FileTransfers(aliceClient).resume(ticket.id(), path, CHUNK, e -> { }).block(TIMEOUT);
        bobEvents.await(fileState(ticket, UploadState.COMPLETED), TIMEOUT);

        assertCode(bobClient.deleteMessage(alice.userId(), ticket.messageId()), ErrorCode.FORBIDDEN);
        ChatMessage deleted = aliceClient.deleteMessage(bob.userId(), ticket.messageId()).block(TIMEOUT);
        assertThat(deleted.deleted()).isTrue();
        bobEvents.await(e -> e.type() == Event.Type.MESSAGE_UPDATED && e.message().id() == ticket.messageId()
                && e.message().deleted(), TIMEOUT);
        bobEvents.await(fileState(ticket, UploadState.DELETED), TIMEOUT);
        assertCode(bobClient.file(ticket.id()), ErrorCode.NOT_FOUND);
        assertThatThrownBy(() -> s3().statObject(StatObjectArgs.builder()
                .bucket(TestServices.get().s3Bucket()).object("files/" + ticket.id()).build()))
                .hasMessageContaining("not exist");
    }

    @Test
    void cancellingOrExpiringAFileShowsUpInTheConversation() throws Exception {
        AuthToken alice = newUser();
        AuthToken bob = newUser();
        RelayClient aliceClient = client(alice);
        EventProbe bobEvents = EventProbe.open(client(bob), 0L);
        Path path = randomFile(PART + CHUNK, 5);
        UploadTicket cancelled = aliceClient.createUpload(FileTransfers.describe(path, null)
                .withRecipient(bob.userId())).block(TIMEOUT);
        UploadTicket expired = aliceClient.createUpload(FileTransfers.describe(path, null)
                .withRecipient(bob.userId())).block(TIMEOUT);
        aliceClient.write(cancelled.id(), 0, FileTransfers.read(path, 0, CHUNK).take(3)).blockLast(TIMEOUT);

        aliceClient.cancel(cancelled.id()).block(TIMEOUT);
        bobEvents.await(fileState(cancelled, UploadState.CANCELLED), TIMEOUT);
        expiry.sweep(Instant.now().plus(Duration.ofHours(25))).block(TIMEOUT);
        bobEvents.await(fileState(expired, UploadState.EXPIRED), TIMEOUT);
        assertThat(client(bob).history(alice.userId(), null, 10).collectList().block(TIMEOUT))
                .extracting(m -> m.file().state()).containsExactly(UploadState.EXPIRED, UploadState.CANCELLED);
    }

    @Test
    void badInputGetsClearErrorsAndStoresNothing() {
        AuthToken alice = newUser();
        AuthToken bob = newUser();
        AuthToken carol = newUser();
        RelayClient aliceClient = client(alice);
        ChatMessage first = aliceClient.sendText(bob.userId(), "hi").block(TIMEOUT);

        assertCode(aliceClient.sendText("no-such-user", "hi"), ErrorCode.NOT_FOUND);
        assertCode(aliceClient.sendText(bob.userId(), "   "), ErrorCode.INVALID_REQUEST);
        assertCode(aliceClient.sendText(bob.userId(), "x".repeat(101)), ErrorCode.INVALID_REQUEST);
        assertCode(aliceClient.sendText(alice.userId(), "me"), ErrorCode.INVALID_REQUEST);
        assertCode(aliceClient.createUpload(new CreateUploadRequest("a.bin", 10, null, null,
                "nobody-" + System.nanoTime())), ErrorCode.NOT_FOUND);
        assertCode(aliceClient.history(bob.userId(), null, 0).then(), ErrorCode.INVALID_REQUEST);
        assertCode(aliceClient.markRead(bob.userId(), first.id() + 1_000_000), ErrorCode.INVALID_REQUEST);
        // Someone else's conversation cannot be addressed: Carol only ever sees her own (empty) one with Alice.
        RelayClient carolClient = client(carol);
        assertThat(carolClient.history(alice.userId(), null, 50).collectList().block(TIMEOUT)).isEmpty();
        assertCode(carolClient.deleteMessage(alice.userId(), first.id()), ErrorCode.NOT_FOUND);
        assertCode(carolClient.markRead(bob.userId(), first.id()), ErrorCode.NOT_FOUND);
        // Malformed JSON.
        assertThatThrownBy(() -> carolClient.rsocket().flatMap(r -> r.requestResponse(ByteBufPayload.create(
                        Unpooled.wrappedBuffer("{not json".getBytes()),
                        RelayClient.routeMetadata("chat." + alice.userId() + ".send"))))
                .block(TIMEOUT))
                .hasMessageContaining("\"code\":\"INVALID_REQUEST\"");

        assertThat(client(bob).history(alice.userId(), null, 50).collectList().block(TIMEOUT))
                .extracting(ChatMessage::text).containsExactly("hi");

        // Flooding: the burst passes, then the rate limit answers; nothing beyond it is stored.
        List<Object> outcomes = Flux.range(0, 40)
                .concatMap(i -> aliceClient.sendText(carol.userId(), "flood " + i).<Object>map(m -> m)
                        .onErrorResume(RelayException.class, e -> Mono.just(e.code())))
                .collectList().block(TIMEOUT);
        long limited = outcomes.stream().filter(o -> o == ErrorCode.RATE_LIMITED).count();
        assertThat(limited).isGreaterThan(0);
        assertThat(client(carol).history(alice.userId(), null, 200).collectList().block(TIMEOUT))
                .hasSize((int) (40 - limited));
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static Predicate<Event> isMessageBetween(AuthToken from, AuthToken to) {
        return e -> e.type() == Event.Type.MESSAGE && e.message().from().equals(from.userId())
                && e.message().to().equals(to.userId());
    }

    private static Predicate<Event> fileState(UploadTicket ticket, UploadState state) {
        return e -> e.type() == Event.Type.MESSAGE_UPDATED && e.message().id() == ticket.messageId()
                && e.message().file().state() == state;
    }

    private int httpStatus(String fileId, AuthToken token) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(http() + "/api/files/" + fileId + "/content"))
                .header("Authorization", "Bearer " + token.token()).GET().build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    static void assertCode(Mono<?> call, ErrorCode code) {
        assertThatThrownBy(() -> call.block(TIMEOUT))
                .isInstanceOfSatisfying(RelayException.class, e -> {
                    assertThat(e.code()).isEqualTo(code);
                    assertThat(e.getMessage()).isNotBlank();
                });
    }
}
