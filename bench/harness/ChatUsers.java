import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.api.ErrorCode;
import dev.relay.api.MimeTypes;
import dev.relay.api.Routes;
import dev.relay.api.wire.EventsRequest;
import dev.relay.api.wire.SendText;
import dev.relay.client.RelayAuth;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import io.netty.buffer.Unpooled;
import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.core.RSocketConnector;
import io.rsocket.transport.netty.client.WebsocketClientTransport;
import io.rsocket.util.ByteBufPayload;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.util.retry.Retry;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The chat section's users ({@link ChatLoad}): accounts registered over HTTP (the Relay client's RelayAuth), one
 * RSocket-over-WebSocket connection each with its {@code events} stream, set up as RelayClient sets up its own (the
 * SETUP's bearer token, the client's payload helpers) but as a plain RSocket, so that the stream is read raw: a
 * presence storm brings N² PRESENCE events to this JVM on the same cores as the service, and those cost a string
 * search each, not a JSON parse. (Before 7cc8091 RelayClient took its connections from Reactor Netty's default pool,
 * 500 per JVM: this section's first 5,000-user run left 4,500 unconnected through it.)
 */
final class ChatUsers implements AutoCloseable {

    /** Receives the text of every MESSAGE event addressed to the stream's own user, with its arrival time. */
    interface Deliveries {
        void delivered(String text, long arrivedNanos);
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PASSWORD = "bench-password-1";
    private static final Pattern CODE = Pattern.compile("\"code\"\\s*:\\s*\"(\\w+)\"");
    /** Registrations in flight: the service hashes on 2 threads and refuses past its hash queue (32 by default). */
    private static final int REGISTERING = 8;
    private static final int MAX_REOPENS = 3;
    /** Connections being established at once. */
    private static final int CONNECTING = 400;

    private final URI ws;
    final String[] ids;
    private final String[] tokens;
    /** Each user's connection (cached: every subscriber shares it), and the connection once up, to close it. */
    private final Mono<RSocket>[] connections;
    private final RSocket[] open;
    private final Disposable[] streams;
    /** The last durable event id each user's stream delivered: where a reconnect resumes ({@code since}). */
    private final AtomicLongArray lastEventId;
    /** In a reconnect, the durable event a stream must deliver (replayed) to count as open; MAX_VALUE: none. */
    private final long[] openAfter;
    private final AtomicLongArray openedAt;
    private final AtomicLongArray connectedAt;
    /** Bumped when a stream is closed or replaced on purpose: the old stream's end is then no failure. */
    private final AtomicIntegerArray generation;
    /** Streams opened again after a failure, per user and phase: a refused connection must not loop. */
    private final AtomicIntegerArray reopened;
    private final AtomicLong presence = new AtomicLong();
    private volatile long lastPresence;
    private final Map<String, AtomicInteger> streamFailures = new ConcurrentHashMap<>();
    private final AtomicInteger unreadable = new AtomicInteger();
    private final Semaphore connecting = new Semaphore(CONNECTING);
    private volatile Deliveries deliveries = (text, at) -> { };

    private ChatUsers(URI ws, String[] ids, String[] tokens) {
        this.ws = ws;
        this.ids = ids;
        this.tokens = tokens;
        int n = ids.length;
        @SuppressWarnings("unchecked")
        Mono<RSocket>[] connections = new Mono[n];
        this.connections = connections;
        open = new RSocket[n];
        streams = new Disposable[n];
        lastEventId = new AtomicLongArray(n);
        openAfter = new long[n];
        openedAt = new AtomicLongArray(n);
        connectedAt = new AtomicLongArray(n);
        generation = new AtomicIntegerArray(n);
        reopened = new AtomicIntegerArray(n);
    }

    /** Registers {@code n} users of one run (names of their own) over the HTTP API, a few at a time. */
    static ChatUsers register(URI http, int n) {
        RelayAuth auth = new RelayAuth(http);
        String run = UUID.randomUUID().toString().substring(0, 6);
        String[] ids = new String[n];
        String[] tokens = new String[n];
        AtomicInteger done = new AtomicInteger();
        Flux.range(0, n)
                .flatMap(i -> auth.register("chat-" + run + "-" + i, PASSWORD)
                        // The hash queue is the service's own admission control: wait and try again.
                        .retryWhen(Retry.backoff(20, Duration.ofMillis(200)).maxBackoff(Duration.ofSeconds(2))
                                .filter(e -> e instanceof RelayException r && r.code() == ErrorCode.RATE_LIMITED))
                        .doOnNext(token -> {
                            ids[i] = token.userId();
                            tokens[i] = token.token();
                            if (done.incrementAndGet() % 1000 == 0) {
                                System.out.printf("  chat  %d of %d users registered%n", done.get(), n);
                            }
                        }), REGISTERING)
                .then().block(Duration.ofMinutes(30));
        URI ws = URI.create(http.toString().replaceFirst("^http", "ws") + "/rsocket");
        return new ChatUsers(ws, ids, tokens);
    }

    int size() {
        return ids.length;
    }

    /** Sends a text from user {@code from} to user {@code to} (chat.{user}.send). */
    Mono<Void> send(int from, int to, String text) {
        String route = Routes.chat(Routes.CHAT_SEND, ids[to]);
        return connections[from].flatMap(r -> r.requestResponse(RelayClient.payload(route, new SendText(text))))
                .doOnNext(Payload::release).then();
    }

    /** A connection as RelayClient makes one (SETUP with the bearer token), reconnecting a few times if refused. */
    private Mono<RSocket> connect(int user) {
        String token = tokens[user];
        HttpClient http = HttpClient.newConnection().host(ws.getHost()).port(ws.getPort());
        return RSocketConnector.create()
                .metadataMimeType(MimeTypes.COMPOSITE_METADATA)
                .dataMimeType(MimeTypes.JSON)
                .setupPayload(Mono.fromSupplier(() -> ByteBufPayload.create(Unpooled.EMPTY_BUFFER,
                        RelayClient.bearer(token))))
                .keepAlive(Duration.ofSeconds(20), Duration.ofSeconds(90))
                .connect(WebsocketClientTransport.create(http, ws.getPath()))
                // A mass connect may overflow the server's accept queue: retry as a client would.
                .retryWhen(Retry.backoff(5, Duration.ofMillis(200)).maxBackoff(Duration.ofSeconds(2)))
                .doOnNext(r -> open[user] = r)
                .cache();
    }

    void deliverTo(Deliveries deliveries) {
        this.deliveries = deliveries;
    }

    /**
     * Opens every user's connection at once, without waiting, and with {@code streams} its events stream right
     * after it, as a client does. Streams then start one durable event before the last they saw, so the replay of
     * that event says the stream is open and caught up (a client resumes with {@code since} = its last id).
     */
    void openAll(boolean streams) throws InterruptedException {
        for (int i = 0; i < size(); i++) {
            connectedAt.set(i, 0);
            openedAt.set(i, 0);
            openAfter[i] = Long.MAX_VALUE;
        }
        for (int i = 0; i < size(); i++) {
            // Handshakes in flight are bounded so that this JVM, on the same cores, does not starve the first ones
            // into timeouts: connections start as fast as the service completes them.
            connecting.acquire();
            int user = i;
            connections[i] = connect(i);
            connections[i].subscribe(r -> {
                connectedAt.compareAndSet(user, 0, System.nanoTime());
                connecting.release();
            }, e -> {
                streamFailures.computeIfAbsent("connect-" + reason(e), k -> new AtomicInteger()).incrementAndGet();
                connecting.release();
            });
            if (streams) {
                openStream(i);
            }
        }
    }

    /** Opens the events stream of every connection that has none ({@link #openAll} without streams). */
    void openStreams() {
        for (int i = 0; i < size(); i++) {
            openStream(i);
        }
    }

    private void openStream(int i) {
        reopened.set(i, 0);
        long last = lastEventId.get(i);
        openAfter[i] = last > 0 ? last : Long.MAX_VALUE;
        // A new user's log from its start: nothing sent before the stream is subscribed goes missing.
        openStream(i, last > 0 ? last - 1 : 0L);
    }

    private void openStream(int i, Long since) {
        int gen = generation.incrementAndGet(i);
        streams[i] = connections[i]
                .flatMapMany(r -> r.requestStream(RelayClient.payload(Routes.EVENTS, new EventsRequest(since))))
                .subscribe(p -> onEvent(i, p), e -> {
                    if (generation.get(i) != gen) {
                        return;
                    }
                    // A real client opens the stream again from its last event; the failure is counted.
                    streamFailures.computeIfAbsent(reason(e), k -> new AtomicInteger()).incrementAndGet();
                    if (reopened.incrementAndGet(i) <= MAX_REOPENS) {
                        // After a pause, as a client backs off: reopening at once would add to what failed it.
                        Mono.delay(Duration.ofMillis(500 + ThreadLocalRandom.current().nextInt(1000)))
                                .subscribe(tick -> {
                                    if (generation.get(i) == gen) {
                                        long last = lastEventId.get(i);
                                        openStream(i, last > 0 ? last : null);
                                    }
                                });
                    }
                });
    }

    private void onEvent(int i, Payload payload) {
        try {
            String data = payload.getDataUtf8();
            long now = System.nanoTime();
            if (data.contains("\"type\":\"PRESENCE\"")) {
                presence.incrementAndGet();
                lastPresence = now;
                return;
            }
            JsonNode event = JSON.readTree(data);
            JsonNode id = event.get("id");
            if (id != null && id.isNumber()) {
                long value = id.asLong();
                lastEventId.accumulateAndGet(i, value, Math::max);
                if (value >= openAfter[i]) {
                    openedAt.compareAndSet(i, 0, now);
                }
            }
            JsonNode message = event.path("message");
            if ("MESSAGE".equals(event.path("type").asText()) && ids[i].equals(message.path("to").asText())) {
                deliveries.delivered(message.path("text").asText(), now);
            }
        } catch (Exception e) {
            unreadable.incrementAndGet();
        } finally {
            payload.release();
        }
    }

    /** Waits until every connection is up and, after {@code openAll(true)}, every stream replayed its event. */
    boolean awaitOpen(long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (System.nanoTime() < deadline) {
            if (pendingConnections() == 0 && pendingStreams() == 0) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    int pendingConnections() {
        int pending = 0;
        for (int i = 0; i < size(); i++) {
            pending += connectedAt.get(i) == 0 ? 1 : 0;
        }
        return pending;
    }

    int pendingStreams() {
        int pending = 0;
        for (int i = 0; i < size(); i++) {
            pending += openAfter[i] != Long.MAX_VALUE && openedAt.get(i) == 0 ? 1 : 0;
        }
        return pending;
    }

    /** Streams that had a durable event to replay when opened last: those {@link #pendingStreams} waits for. */
    int witnessed() {
        int n = 0;
        for (int i = 0; i < size(); i++) {
            n += openAfter[i] != Long.MAX_VALUE ? 1 : 0;
        }
        return n;
    }

    /** The latest time any connection came up (nanoTime), or 0 if none did. */
    long lastConnected() {
        return latest(connectedAt);
    }

    /** The latest time any stream replayed its event, or 0 if none did (or none was asked to). */
    long lastOpened() {
        return latest(openedAt);
    }

    /** The median time after {@code since} at which the streams replayed their event, in seconds (NaN if none). */
    double medianOpenedSeconds(long since) {
        long[] times = new long[size()];
        int n = 0;
        for (int i = 0; i < size(); i++) {
            if (openedAt.get(i) != 0) {
                times[n++] = openedAt.get(i) - since;
            }
        }
        java.util.Arrays.sort(times, 0, n);
        return n == 0 ? Double.NaN : times[(n - 1) / 2] / 1e9;
    }

    private static long latest(AtomicLongArray times) {
        long latest = 0;
        for (int i = 0; i < times.length(); i++) {
            latest = Math.max(latest, times.get(i));
        }
        return latest;
    }

    /**
     * Waits until no PRESENCE event came for {@code quietNanos}, for at most {@code timeoutNanos}; returns the time
     * (nanoTime) of the last one (0 if none ever came), or -1 if they did not stop within the time.
     */
    long awaitPresenceSettled(long quietNanos, long timeoutNanos) throws InterruptedException {
        long started = System.nanoTime();
        while (System.nanoTime() - started < timeoutNanos) {
            long last = lastPresence;
            if (System.nanoTime() - Math.max(last, started) >= quietNanos) {
                return last;
            }
            Thread.sleep(50);
        }
        return -1;
    }

    long presenceEvents() {
        return presence.get();
    }

    /** Failures of event streams so far, by error code or exception (each stream was opened again). */
    Map<String, AtomicInteger> streamFailures() {
        return streamFailures;
    }

    /** Records the failures so far under {@code prefix}.CODE and starts counting afresh (one phase each). */
    void recordFailures(Results results, String prefix) {
        for (String code : List.copyOf(streamFailures.keySet())) {
            AtomicInteger count = streamFailures.remove(code);
            results.add(prefix + code, count.get());
        }
    }

    int unreadableEvents() {
        return unreadable.get();
    }

    /** Closes every connection (their streams end without counting as failures). */
    @Override
    public void close() {
        for (int i = 0; i < size(); i++) {
            generation.incrementAndGet(i);
            if (streams[i] != null) {
                streams[i].dispose();
            }
            if (open[i] != null) {
                open[i].dispose();
                open[i] = null;
            }
        }
    }

    static String reason(Throwable e) {
        Matcher m = CODE.matcher(String.valueOf(e.getMessage()));
        if (e instanceof RelayException r) {
            return r.code().name();
        }
        return m.find() ? m.group(1) : e.getClass().getSimpleName();
    }
}
