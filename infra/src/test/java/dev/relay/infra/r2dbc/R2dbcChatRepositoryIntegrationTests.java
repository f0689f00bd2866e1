package dev.relay.infra.r2dbc;

import dev.relay.api.wire.ChatMessage;
import dev.relay.infra.testing.TestServices;
import dev.relay.streaming.port.ChatRepository;
import dev.relay.streaming.port.ChatRepository.NewEvent;
import dev.relay.streaming.port.ChatRepository.NewMessage;
import dev.relay.streaming.port.ChatRepository.StoredEvent;
import io.r2dbc.spi.ConnectionFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The chat repository against a real MariaDB: sequence numbers under concurrency, conversations, markers. */
class R2dbcChatRepositoryIntegrationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static R2dbcChatRepository chat;
    private static R2dbcAccountRepository accounts;
    private static R2dbcTransactions tx;

    @BeforeAll
    static void schema() {
        ConnectionFactory connections = TestServices.get().migratedConnectionFactory();
        DatabaseClient db = DatabaseClient.create(connections);
        chat = new R2dbcChatRepository(db, Clock.systemUTC());
        accounts = new R2dbcAccountRepository(db, Clock.systemUTC());
        tx = new R2dbcTransactions(TransactionalOperator.create(new R2dbcTransactionManager(connections)));
    }

    @Test
    void concurrentTransactionsGiveEachUserGaplessSequenceNumbersAndOneConversation() {
        String a = newAccount();
        String b = newAccount();
        int n = 24;
        // Half the senders are a, half b, all at once: both directions race to create the conversation too.
        List<ChatMessage> sent = Flux.range(0, n)
                .flatMap(i -> {
                    String from = i % 2 == 0 ? a : b;
                    String to = i % 2 == 0 ? b : a;
                    return tx.required(accounts.lock(from, to)
                                    .then(chat.insert(new NewMessage(from, to, ChatMessage.Kind.TEXT, "m" + i, null)))
                                    .flatMap(m -> chat.append(List.of(new NewEvent(from, "MESSAGE", "{}"),
                                            new NewEvent(to, "MESSAGE", "{}"))).thenReturn(m)))
                            .subscribeOn(Schedulers.parallel());
                }, 8)
                .collectList().block(TIMEOUT);
        assertThat(sent).hasSize(n);

        for (String user : List.of(a, b)) {
            List<Long> seqs = chat.eventsSince(user, 0, 1000).map(StoredEvent::seq).collectList().block(TIMEOUT);
            assertThat(seqs).containsExactlyElementsOf(LongStream.rangeClosed(1, n).boxed().toList());
            assertThat(chat.eventRanges(List.of(user)).block(TIMEOUT).get(user).last()).isEqualTo(n);
            assertThat(chat.lastEventIds(List.of(user, "no-such-user")).block(TIMEOUT)).isEqualTo(Map.of(user, (long) n));
            assertThat(chat.eventsSince(user, 20, 2).map(StoredEvent::seq).collectList().block(TIMEOUT))
                    .containsExactly(21L, 22L);
        }
        List<ChatMessage> history = chat.history(a, b, null, 100).collectList().block(TIMEOUT);
        assertThat(history).as("each message as its insert answered it").containsExactlyInAnyOrderElementsOf(sent);
        assertThat(chat.history(b, a, null, 100).collectList().block(TIMEOUT)).isEqualTo(history);
        assertThat(chat.conversations(a).collectList().block(TIMEOUT)).hasSize(1);
    }

    @Test
    void oneAppendGivesEachAddresseeTheirOwnNextNumberInTheOrderAsked() {
        String a = newAccount();
        String b = newAccount();
        for (int i = 0; i < 3; i++) {
            tx.required(accounts.lock(a).then(chat.append(List.of(new NewEvent(a, "READ", "{}"))))).block(TIMEOUT);
        }

        List<StoredEvent> stored = tx.required(accounts.lock(a, b).then(chat.append(List.of(
                new NewEvent(b, "MESSAGE", "{\"to\":\"b\"}"), new NewEvent(a, "MESSAGE", "{\"to\":\"a\"}")))))
                .block(TIMEOUT);

        assertThat(stored).extracting(StoredEvent::userId, StoredEvent::seq)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(b, 1L), org.assertj.core.groups.Tuple.tuple(a, 4L));
        assertThat(chat.eventsSince(b, 0, 10).map(StoredEvent::payload).collectList().block(TIMEOUT))
                .containsExactly("{\"to\":\"b\"}");
        assertThat(chat.eventsSince(a, 3, 10).map(StoredEvent::payload).collectList().block(TIMEOUT))
                .containsExactly("{\"to\":\"a\"}");
    }

    @Test
    void aBatchOfMessagesInSeveralConversationsIsStoredInOrderWithEachConversationsLastMessage() {
        String a = newAccount();
        String b = newAccount();
        String c = newAccount();
        tx.required(accounts.lock(a, b).then(chat.insert(new NewMessage(a, b, ChatMessage.Kind.TEXT, "first",
                null)))).block(TIMEOUT);
        // a-b exists, a-c and b-c are new; b-c appears in both directions.
        List<NewMessage> batch = List.of(new NewMessage(a, b, ChatMessage.Kind.TEXT, "1", null),
                new NewMessage(c, a, ChatMessage.Kind.TEXT, "2", null),
                new NewMessage(b, c, ChatMessage.Kind.TEXT, "3", null),
                new NewMessage(b, a, ChatMessage.Kind.TEXT, "4", null),
                new NewMessage(c, b, ChatMessage.Kind.TEXT, "5", null));

        List<ChatMessage> stored = tx.required(accounts.lock(a, b, c).then(chat.insertAll(batch))).block(TIMEOUT);

        assertThat(stored).extracting(ChatMessage::from, ChatMessage::to, ChatMessage::text)
                .containsExactlyElementsOf(batch.stream().map(m -> org.assertj.core.groups.Tuple.tuple(m.senderId(),
                        m.recipientId(), m.text())).toList());
        assertThat(stored).extracting(ChatMessage::id).isSorted().doesNotHaveDuplicates();
        for (ChatMessage m : stored) {
            assertThat(chat.find(m.id()).block(TIMEOUT)).as("as its insert answered it").isEqualTo(m);
        }
        assertThat(chat.history(a, b, null, 10).map(ChatMessage::text).collectList().block(TIMEOUT))
                .containsExactly("4", "1", "first");
        assertThat(chat.conversations(b).map(row -> row.peerId() + ":" + row.lastMessage().text()).collectList()
                .block(TIMEOUT)).containsExactlyInAnyOrder(a + ":4", c + ":5");
        assertThat(chat.conversations(a).collectList().block(TIMEOUT)).hasSize(2);
    }

    @Test
    void oneAppendNumbersSeveralEventsOfOneUserInTheOrderAsked() {
        String a = newAccount();
        String b = newAccount();
        tx.required(accounts.lock(a).then(chat.append(List.of(new NewEvent(a, "READ", "{}"))))).block(TIMEOUT);

        List<StoredEvent> stored = tx.required(accounts.lock(a, b).then(chat.append(List.of(
                new NewEvent(a, "MESSAGE", "1"), new NewEvent(b, "MESSAGE", "1"), new NewEvent(b, "MESSAGE", "2"),
                new NewEvent(a, "MESSAGE", "2"), new NewEvent(a, "MESSAGE", "3"))))).block(TIMEOUT);

        assertThat(stored).extracting(StoredEvent::userId, StoredEvent::seq, StoredEvent::payload).containsExactly(
                org.assertj.core.groups.Tuple.tuple(a, 2L, "1"), org.assertj.core.groups.Tuple.tuple(b, 1L, "1"),
                org.assertj.core.groups.Tuple.tuple(b, 2L, "2"), org.assertj.core.groups.Tuple.tuple(a, 3L, "2"),
                org.assertj.core.groups.Tuple.tuple(a, 4L, "3"));
        assertThat(chat.eventsSince(a, 1, 10).map(e -> e.seq() + "=" + e.payload()).collectList().block(TIMEOUT))
                .containsExactly("2=1", "3=2", "4=3");
        Map<String, ChatRepository.EventRange> ranges = chat.eventRanges(List.of(a, b, "no-such-user"))
                .block(TIMEOUT);
        assertThat(ranges).containsOnlyKeys(a, b);
        assertThat(ranges.get(a)).isEqualTo(new ChatRepository.EventRange(4, 1));
        assertThat(ranges.get(b)).isEqualTo(new ChatRepository.EventRange(2, 1));
        // The next append counts on from there.
        assertThat(tx.required(accounts.lock(b).then(chat.append(List.of(new NewEvent(b, "READ", "{}")))))
                .block(TIMEOUT)).extracting(StoredEvent::seq).containsExactly(3L);
    }

    @Test
    void readMarkersOnlyMoveForwardAndCountWhatIsUnread() {
        String a = newAccount();
        String b = newAccount();
        List<ChatMessage> toB = Flux.range(0, 4)
                .concatMap(i -> tx.required(accounts.lock(a, b)
                        .then(chat.insert(new NewMessage(a, b, ChatMessage.Kind.TEXT, "x" + i, null)))))
                .collectList().block(TIMEOUT);
        tx.required(accounts.lock(a, b).then(chat.insert(new NewMessage(b, a, ChatMessage.Kind.TEXT, "reply",
                null)))).block(TIMEOUT);

        assertThat(chat.conversations(b).blockFirst(TIMEOUT).unread()).isEqualTo(4);
        assertThat(chat.conversations(a).blockFirst(TIMEOUT).unread()).isEqualTo(1);
        assertThat(chat.markRead(b, a, toB.get(1).id()).block(TIMEOUT).unread()).isEqualTo(2);
        assertThat(chat.markRead(b, a, toB.get(0).id()).block(TIMEOUT).messageId()).isEqualTo(toB.get(1).id());
        assertThat(chat.markDeleted(toB.get(3).id()).block(TIMEOUT)).isTrue();
        assertThat(chat.markDeleted(toB.get(3).id()).block(TIMEOUT)).isFalse();
        assertThat(chat.conversations(b).blockFirst(TIMEOUT).unread()).isEqualTo(1);
        ChatMessage deleted = chat.find(toB.get(3).id()).block(TIMEOUT);
        assertThat(deleted.deleted()).isTrue();
        assertThat(deleted.text()).isNull();
    }

    @Test
    void peerIdsAreEitherSideOfAConversationMostRecentFirstAndBounded() {
        String me = newAccount();
        String low = newAccount();
        String high = newAccount();
        String quiet = newAccount();
        // me is user_low of one conversation and user_high of another, whichever its id sorts.
        for (String[] pair : List.of(new String[]{low, me}, new String[]{me, high}, new String[]{low, me})) {
            tx.required(accounts.lock(pair[0], pair[1]).then(chat.insert(new NewMessage(pair[0], pair[1],
                    ChatMessage.Kind.TEXT, "hi", null)))).block(TIMEOUT);
        }
        // Each user's own list, in one query for all of them.
        Map<String, List<String>> peers = chat.peerIds(List.of(me, low, quiet, high), 10).block(TIMEOUT);
        assertThat(peers).containsOnlyKeys(me, low, high);
        assertThat(peers.get(me)).containsExactly(low, high);
        assertThat(peers.get(low)).containsExactly(me);
        assertThat(peers.get(high)).containsExactly(me);
        assertThat(chat.peerIds(List.of(me), 1).block(TIMEOUT).get(me)).containsExactly(low);
        assertThat(accounts.findByIds(List.of(me, quiet, "no-such-user")).map(a -> a.id()).collectList()
                .block(TIMEOUT)).containsExactlyInAnyOrder(me, quiet);
        assertThat(accounts.findByIds(List.of()).collectList().block(TIMEOUT)).isEmpty();
    }

    private static String newAccount() {
        String id = UUID.randomUUID().toString();
        accounts.create(id, "chat-" + id.substring(0, 8), "{noop}x", false).block(TIMEOUT);
        return id;
    }
}
