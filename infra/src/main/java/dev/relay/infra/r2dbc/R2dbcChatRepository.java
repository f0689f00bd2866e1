package dev.relay.infra.r2dbc;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.api.wire.ChatMessage;
import dev.relay.api.wire.FileAttachment;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.ChatRepository;
import io.r2dbc.spi.Readable;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/** {@link ChatRepository} on MySQL/MariaDB through R2DBC. */
public final class R2dbcChatRepository implements ChatRepository {

    /** A message with its file's current transfer state (prefix m = message, u = upload). */
    private static final String MESSAGE = "m.id AS m_id, m.sender_id, m.recipient_id, m.kind, m.body, m.upload_id,"
            + " m.deleted, m.created_at AS m_created, u.name AS f_name, u.size AS f_size, u.content_type AS f_type,"
            + " u.state AS f_state, u.parts_bytes + u.tail_bytes AS f_offset, u.sha256 AS f_sha";
    private static final String FROM_MESSAGES = " FROM messages m LEFT JOIN uploads u ON u.id = m.upload_id";

    /** Conversation ids are never deleted or changed: a bounded cache saves a chat write's lookup. */
    private static final int CACHED_CONVERSATIONS = 100_000;

    private final DatabaseClient db;
    private final Clock clock;
    /** "low|high" to the conversation's id; only ids read as committed (never one this transaction inserted). */
    private final Map<String, String> conversations = new ConcurrentHashMap<>();

    public R2dbcChatRepository(DatabaseClient db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    @Override
    public Mono<ChatMessage> insert(NewMessage message) {
        String low = min(message.senderId(), message.recipientId());
        String high = max(message.senderId(), message.recipientId());
        var now = Sql.now(clock);
        Mono<String> conversation = conversation(low, high, now);
        return Sql.classify(conversation.flatMap(conversationId -> db.sql("INSERT INTO messages (conversation_id,"
                                + " sender_id, recipient_id, kind, body, upload_id, created_at) VALUES (:conversation,"
                                + " :sender, :recipient, :kind, :body, :upload, :now)")
                        .filter(statement -> statement.returnGeneratedValues("id"))
                        .bind("conversation", conversationId)
                        .bind("sender", message.senderId())
                        .bind("recipient", message.recipientId())
                        .bind("kind", message.kind().name())
                        .bind("body", Sql.nullable(message.text(), String.class))
                        .bind("upload", Sql.nullable(message.uploadId(), String.class))
                        .bind("now", now)
                        .map(row -> Sql.longOf(row, "id"))
                        .one()
                        .flatMap(id -> db.sql("UPDATE conversations SET last_message_id = :message WHERE id = :id")
                                .bind("message", id)
                                .bind("id", conversationId)
                                .fetch().rowsUpdated()
                                // A text message is what was just written; a file message shows its upload too.
                                .then(message.uploadId() == null ? Mono.just(new ChatMessage(id, message.senderId(),
                                        message.recipientId(), message.kind(), message.text(), null, false,
                                        Sql.instantOf(now))) : find(id)))));
    }

    @Override
    public Mono<List<ChatMessage>> insertAll(List<NewMessage> messages) {
        if (messages.isEmpty()) {
            return Mono.just(List.of());
        }
        if (messages.stream().anyMatch(m -> m.uploadId() != null)) {
            throw new IllegalArgumentException("insertAll takes text messages only");
        }
        var now = Sql.now(clock);
        Instant at = Sql.instantOf(now);
        // Three round trips for the whole batch (plus one for each conversation's first message): the conversations,
        // the messages with their ids back (INSERT ... RETURNING), each conversation's last message.
        Map<String, String[]> pairs = new LinkedHashMap<>();
        messages.forEach(m -> pairs.putIfAbsent(pairKey(m), new String[]{min(m.senderId(), m.recipientId()),
                max(m.senderId(), m.recipientId())}));
        return Sql.classify(Flux.fromIterable(pairs.entrySet())
                .concatMap(pair -> conversation(pair.getValue()[0], pair.getValue()[1], now)
                        .map(id -> Map.entry(pair.getKey(), id)))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue)
                .flatMap(conversations -> {
                    StringBuilder sql = new StringBuilder("INSERT INTO messages (conversation_id, sender_id,"
                            + " recipient_id, kind, body, upload_id, created_at) VALUES ");
                    for (int i = 0; i < messages.size(); i++) {
                        sql.append(i == 0 ? "" : ", ").append("(?, ?, ?, ?, ?, NULL, ?)");
                    }
                    List<Object> values = new ArrayList<>(messages.size() * 6);
                    for (NewMessage m : messages) {
                        values.addAll(List.of(conversations.get(pairKey(m)), m.senderId(), m.recipientId(),
                                m.kind().name(), m.text(), now));
                    }
                    DatabaseClient.GenericExecuteSpec insert = db.sql(sql.append(" RETURNING id").toString())
                            .bindValues(values);
                    // One multi-row insert takes its ids in row order.
                    return insert.map(row -> Sql.longOf(row, "id")).all().sort().collectList().flatMap(ids -> {
                        if (ids.size() != messages.size()) {
                            return Mono.error(new IllegalStateException(messages.size() + " messages inserted, "
                                    + ids.size() + " ids back"));
                        }
                        Map<String, Long> last = new LinkedHashMap<>();
                        List<ChatMessage> stored = new ArrayList<>(messages.size());
                        for (int i = 0; i < messages.size(); i++) {
                            NewMessage m = messages.get(i);
                            last.put(conversations.get(pairKey(m)), ids.get(i));
                            stored.add(new ChatMessage(ids.get(i), m.senderId(), m.recipientId(), m.kind(), m.text(),
                                    null, false, at));
                        }
                        return lastMessages(last).thenReturn(stored);
                    });
                }));
    }

    /** Sets each conversation's last message, in one statement. */
    private Mono<Long> lastMessages(Map<String, Long> last) {
        StringBuilder cases = new StringBuilder("UPDATE conversations FORCE INDEX (PRIMARY) SET"
                + " last_message_id = CASE id");
        last.forEach((c, m) -> cases.append(" WHEN ? THEN ?"));
        cases.append(" END WHERE id IN (").append(last.keySet().stream().map(c -> "?")
                .collect(Collectors.joining(", "))).append(")");
        List<Object> values = new ArrayList<>(last.size() * 3);
        last.forEach((c, m) -> values.addAll(List.of(c, m)));
        values.addAll(last.keySet());
        return db.sql(cases.toString()).bindValues(values).fetch().rowsUpdated();
    }

    private static String pairKey(NewMessage m) {
        return min(m.senderId(), m.recipientId()) + "|" + max(m.senderId(), m.recipientId());
    }

    /** The two users' conversation, created with their first message. */
    private Mono<String> conversation(String low, String high, LocalDateTime now) {
        // Looked up first: all but a conversation's first message find it in one round trip, or none once cached.
        return knownConversation(low, high).switchIfEmpty(Mono.defer(() -> db.sql("INSERT INTO"
                        + " conversations (id, user_low, user_high, created_at)"
                        + " VALUES (:id, :low, :high, :now) ON DUPLICATE KEY UPDATE id = id")
                .bind("id", UUID.randomUUID().toString())
                .bind("low", low)
                .bind("high", high)
                .bind("now", now)
                .fetch().rowsUpdated()
                .then(conversationId(low, high))));
    }

    /** The conversation of an earlier message (cached), or empty if it has none yet. */
    private Mono<String> knownConversation(String low, String high) {
        String key = low + "|" + high;
        String cached = conversations.get(key);
        if (cached != null) {
            return Mono.just(cached);
        }
        return conversationId(low, high).doOnNext(id -> {
            if (conversations.size() >= CACHED_CONVERSATIONS) {
                conversations.clear();
            }
            conversations.put(key, id);
        });
    }

    private Mono<String> conversationId(String low, String high) {
        return db.sql("SELECT id FROM conversations WHERE user_low = :low AND user_high = :high")
                .bind("low", low)
                .bind("high", high)
                .map(row -> row.get("id", String.class))
                .one();
    }

    @Override
    public Mono<ChatMessage> find(long messageId) {
        return Sql.classify(db.sql("SELECT " + MESSAGE + FROM_MESSAGES + " WHERE m.id = :id")
                .bind("id", messageId)
                .map(R2dbcChatRepository::toMessage)
                .one());
    }

    @Override
    public Mono<ChatMessage> findByUpload(String uploadId) {
        return Sql.classify(db.sql("SELECT " + MESSAGE + FROM_MESSAGES + " WHERE m.upload_id = :upload")
                .bind("upload", uploadId)
                .map(R2dbcChatRepository::toMessage)
                .one());
    }

    @Override
    public Flux<ChatMessage> history(String userId, String peerId, Long before, int limit) {
        return Sql.rows(conversationId(min(userId, peerId), max(userId, peerId))
                .flatMapMany(conversation -> db.sql("SELECT " + MESSAGE + FROM_MESSAGES
                                + " WHERE m.conversation_id = :conversation AND m.id < :before"
                                + " ORDER BY m.id DESC LIMIT :limit")
                        .bind("conversation", conversation)
                        .bind("before", before == null ? Long.MAX_VALUE : before)
                        .bind("limit", limit)
                        .map(R2dbcChatRepository::toMessage)
                        .all()));
    }

    @Override
    public Mono<Boolean> markDeleted(long messageId) {
        return Sql.classify(db.sql("UPDATE messages SET deleted = TRUE, body = NULL WHERE id = :id AND NOT deleted")
                .bind("id", messageId)
                .fetch().rowsUpdated()
                .map(rows -> rows == 1));
    }

    @Override
    public Mono<ReadState> markRead(String userId, String peerId, long messageId) {
        Mono<ReadState> mark = conversationId(min(userId, peerId), max(userId, peerId))
                .switchIfEmpty(Mono.error(() -> new TransferException(ErrorCode.NOT_FOUND,
                        "There is no conversation with user " + peerId + " yet.")))
                .flatMap(conversation -> db.sql("SELECT last_message_id FROM conversations WHERE id = :id")
                        .bind("id", conversation)
                        .map(row -> Sql.longOf(row, "last_message_id"))
                        .one()
                        .flatMap(last -> {
                            if (messageId < 0 || messageId > last) {
                                return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "Message "
                                        + messageId + " is not in this conversation; its newest message is " + last
                                        + "."));
                            }
                            // The caller holds both accounts' locks: what is read here is what gets written.
                            return db.sql("SELECT last_read_id FROM read_markers"
                                            + " WHERE conversation_id = :conversation AND user_id = :user")
                                    .bind("conversation", conversation)
                                    .bind("user", userId)
                                    .map(row -> Sql.longOf(row, "last_read_id"))
                                    .one()
                                    .defaultIfEmpty(-1L)
                                    .flatMap(before -> (messageId > before ? db.sql("INSERT INTO read_markers"
                                                    + " (conversation_id, user_id, last_read_id) VALUES (:conversation,"
                                                    + " :user, :message) ON DUPLICATE KEY UPDATE last_read_id ="
                                                    + " VALUES(last_read_id)")
                                            .bind("conversation", conversation)
                                            .bind("user", userId)
                                            .bind("message", messageId)
                                            .fetch().rowsUpdated().then() : Mono.<Void>empty())
                                            .then(db.sql("SELECT r.last_read_id, (SELECT COUNT(*) FROM messages m"
                                                            + " WHERE m.conversation_id = r.conversation_id"
                                                            + " AND m.recipient_id = r.user_id AND NOT m.deleted"
                                                            + " AND m.id > r.last_read_id) AS unread FROM read_markers"
                                                            + " r WHERE r.conversation_id = :conversation"
                                                            + " AND r.user_id = :user")
                                                    .bind("conversation", conversation)
                                                    .bind("user", userId)
                                                    .map(row -> new ReadState(Sql.longOf(row, "last_read_id"),
                                                            Sql.longOf(row, "unread"), messageId > before))
                                                    .one()));
                        }));
        return Sql.classify(mark);
    }

    @Override
    public Flux<ConversationRow> conversations(String userId) {
        return Sql.rows(db.sql("SELECT CASE WHEN c.user_low = :user THEN c.user_high ELSE c.user_low END"
                        + " AS peer_id, (SELECT COUNT(*) FROM messages x WHERE x.conversation_id = c.id"
                        + " AND x.recipient_id = :user AND NOT x.deleted AND x.id > COALESCE((SELECT r.last_read_id"
                        + " FROM read_markers r WHERE r.conversation_id = c.id AND r.user_id = :user), 0)) AS unread, "
                        + MESSAGE + " FROM conversations c JOIN messages m ON m.id = c.last_message_id"
                        + " LEFT JOIN uploads u ON u.id = m.upload_id"
                        + " WHERE c.user_low = :user OR c.user_high = :user ORDER BY c.last_message_id DESC")
                .bind("user", userId)
                .map(row -> new ConversationRow(row.get("peer_id", String.class), toMessage(row),
                        Sql.longOf(row, "unread")))
                .all());
    }

    @Override
    public Mono<Map<String, List<String>>> peerIds(List<String> userIds, int limit) {
        if (userIds.isEmpty()) {
            return Mono.just(Map.of());
        }
        // Per user two index lookups (user_low's unique key, user_high's key) rather than an OR over both columns;
        // the users' parts in one statement.
        String one = "(SELECT ? AS user_id, peer_id FROM (SELECT user_high AS peer_id, last_message_id FROM"
                + " conversations WHERE user_low = ? UNION ALL SELECT user_low, last_message_id FROM conversations"
                + " WHERE user_high = ?) p ORDER BY last_message_id DESC LIMIT ?)";
        List<Object> values = new ArrayList<>(userIds.size() * 4);
        userIds.forEach(u -> values.addAll(List.of(u, u, u, limit)));
        return Sql.rows(db.sql(String.join(" UNION ALL ", java.util.Collections.nCopies(userIds.size(), one)))
                        .bindValues(values)
                        .map(row -> Map.entry(row.get("user_id", String.class), row.get("peer_id", String.class)))
                        .all())
                .collect(LinkedHashMap<String, List<String>>::new, (peers, row) -> peers.computeIfAbsent(row.getKey(),
                        k -> new ArrayList<>()).add(row.getValue()))
                .map(peers -> peers);
    }

    @Override
    public Mono<List<StoredEvent>> append(List<NewEvent> events) {
        if (events.isEmpty()) {
            return Mono.just(List.of());
        }
        var now = Sql.now(clock);
        Instant at = Sql.instantOf(now);
        // Each event's place among its user's events here (1, 2, ...): the user's numbers follow the list's order.
        Map<String, Integer> counts = new LinkedHashMap<>();
        int[] place = new int[events.size()];
        for (int i = 0; i < events.size(); i++) {
            place[i] = counts.merge(events.get(i).userId(), 1, Integer::sum);
        }
        // Two round trips for all the events together, inside the caller's transaction, which holds their users'
        // account locks: the events inserted with numbers counted on from the accounts' counters (MariaDB's
        // INSERT ... RETURNING gives each user's first), then the counters moved past them. Every statement here
        // reads accounts by primary key only: for a long list of ids the optimizer would rather scan the table, and
        // a scan locks every row it passes (other transactions' users too: deadlocks between batches).
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < events.size(); i++) {
            rows.append(i == 0 ? "SELECT ? AS user_id, ? AS place, ? AS type, ? AS payload"
                    : " UNION ALL SELECT ?, ?, ?, ?");
        }
        String in = counts.keySet().stream().map(u -> "?").collect(Collectors.joining(","));
        List<Object> inserted = new ArrayList<>(1 + events.size() * 4);
        inserted.add(now);
        for (int i = 0; i < events.size(); i++) {
            NewEvent e = events.get(i);
            inserted.addAll(List.of(e.userId(), place[i], e.type(), e.payload()));
        }
        List<Object> bumped = new ArrayList<>(counts.size() * 3);
        counts.forEach((u, n) -> bumped.addAll(List.of(u, n)));
        bumped.addAll(counts.keySet());
        // Values bound at once: each bind(i, v) copies the statement's bindings so far (quadratic in a batch).
        DatabaseClient.GenericExecuteSpec insert = db.sql("INSERT INTO user_events (user_id, seq, type, payload,"
                + " created_at) SELECT STRAIGHT_JOIN a.id, a.event_seq + e.place, e.type, e.payload, ? FROM (" + rows + ") e"
                + " JOIN accounts a FORCE INDEX (PRIMARY) ON a.id = e.user_id RETURNING user_id, seq");
        StringBuilder bumpSql = new StringBuilder("UPDATE accounts FORCE INDEX (PRIMARY) SET event_seq"
                + " = event_seq + CASE id");
        counts.keySet().forEach(u -> bumpSql.append(" WHEN ? THEN ?"));
        DatabaseClient.GenericExecuteSpec counters = db.sql(bumpSql.append(" END WHERE id IN (").append(in)
                .append(")").toString()).bindValues(bumped);
        return Sql.classify(insert.bindValues(inserted).map(row -> Map.entry(row.get("user_id", String.class), Sql.longOf(row, "seq")))
                .all()
                .collect(HashMap<String, Long>::new, (first, row) -> first.merge(row.getKey(), row.getValue(), Math::min))
                .flatMap(first -> {
                    if (!first.keySet().equals(counts.keySet())) {
                        return Mono.error(new IllegalStateException("Events for users without an account: "
                                + counts.keySet().stream().filter(u -> !first.containsKey(u)).toList()));
                    }
                    List<StoredEvent> stored = new ArrayList<>(events.size());
                    for (int i = 0; i < events.size(); i++) {
                        NewEvent e = events.get(i);
                        stored.add(new StoredEvent(e.userId(), first.get(e.userId()) + place[i] - 1, e.type(),
                                e.payload(), at));
                    }
                    return counters.fetch().rowsUpdated().thenReturn(stored);
                }));
    }

    @Override
    public Flux<StoredEvent> eventsSince(String userId, long since, int limit) {
        return Sql.rows(db.sql("SELECT user_id, seq, type, payload, created_at FROM user_events"
                        + " WHERE user_id = :user AND seq > :since ORDER BY seq LIMIT :limit")
                .bind("user", userId)
                .bind("since", since)
                .bind("limit", limit)
                .map(row -> new StoredEvent(row.get("user_id", String.class), Sql.longOf(row, "seq"),
                        row.get("type", String.class), row.get("payload", String.class),
                        Sql.instantOf(row, "created_at")))
                .all());
    }

    @Override
    public Mono<Map<String, EventRange>> eventRanges(Collection<String> userIds) {
        if (userIds.isEmpty()) {
            return Mono.just(Map.of());
        }
        return Sql.classify(db.sql("SELECT a.id, a.event_seq AS last_seq, (SELECT MIN(e.seq) FROM user_events e"
                        + " WHERE e.user_id = a.id) AS first_seq FROM accounts a WHERE a.id IN (:ids)")
                .bind("ids", List.copyOf(userIds))
                .map(row -> Map.entry(row.get("id", String.class), new EventRange(Sql.longOf(row, "last_seq"),
                        Sql.longOf(row, "first_seq"))))
                .all()
                .collectMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    @Override
    public Mono<Map<String, Long>> lastEventIds(Collection<String> userIds) {
        if (userIds.isEmpty()) {
            return Mono.just(Map.of());
        }
        return Sql.classify(db.sql("SELECT id, event_seq FROM accounts WHERE id IN (:ids)")
                .bind("ids", List.copyOf(userIds))
                .map(row -> Map.entry(row.get("id", String.class), Sql.longOf(row, "event_seq")))
                .all()
                .collectMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    @Override
    public Mono<Long> pruneEvents(Instant before) {
        return Sql.classify(db.sql("DELETE FROM user_events WHERE created_at < :before")
                .bind("before", Sql.toDb(before))
                .fetch().rowsUpdated());
    }

    private static ChatMessage toMessage(Readable row) {
        String uploadId = row.get("upload_id", String.class);
        Boolean deleted = row.get("deleted", Boolean.class);
        FileAttachment file = uploadId == null ? null : new FileAttachment(uploadId, row.get("f_name", String.class),
                Sql.longOf(row, "f_size"), row.get("f_type", String.class),
                UploadState.valueOf(row.get("f_state", String.class)), Sql.longOf(row, "f_offset"),
                row.get("f_sha", String.class));
        return new ChatMessage(Sql.longOf(row, "m_id"), row.get("sender_id", String.class),
                row.get("recipient_id", String.class), ChatMessage.Kind.valueOf(row.get("kind", String.class)),
                row.get("body", String.class), file, deleted != null && deleted, Sql.instantOf(row, "m_created"));
    }

    private static String min(String a, String b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static String max(String a, String b) {
        return a.compareTo(b) <= 0 ? b : a;
    }
}
