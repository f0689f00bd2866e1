package dev.relay.streaming.chat;

import dev.relay.api.UploadState;
import dev.relay.api.wire.ChatMessage;
import dev.relay.api.wire.Event;
import dev.relay.api.wire.TransferProgress;
import dev.relay.streaming.port.AccountRepository;
import dev.relay.streaming.port.ChatRepository;
import dev.relay.streaming.port.Transactions;
import dev.relay.streaming.support.StorageRetry;
import dev.relay.streaming.upload.UploadObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * Makes a file message's upload visible to both its sender and its recipient: live TRANSFER events (throttled per
 * transfer, the latest always delivered) and a durable MESSAGE_UPDATED whenever the upload's state changes. One user
 * receives at most about {@link #USER_EVENTS_PER_SECOND} TRANSFER events a second however many transfers involve
 * them: each transfer's interval stretches with their number, so a sender with many uploads (or many senders) cannot
 * flood a recipient.
 */
public final class TransferFeed implements UploadObserver {

    private static final Logger log = LoggerFactory.getLogger(TransferFeed.class);
    static final int USER_EVENTS_PER_SECOND = 20;
    /** A transfer counts towards a user's pace while it sent them something this recently. */
    private static final long RECENT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long LONGEST_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final ChatRepository chat;
    private final AccountRepository accounts;
    private final Transactions tx;
    private final EventLog events;
    private final Clock clock;
    private final long intervalNanos;
    /** Upload id to its message, or empty for uploads without one; dropped when the upload ends. */
    private final ConcurrentMap<String, Mono<Optional<Followed>>> followed = new ConcurrentHashMap<>();
    /** By user: the transfers that sent them TRANSFER events recently, and when last. */
    private final ConcurrentMap<String, ConcurrentMap<String, Long>> recent = new ConcurrentHashMap<>();

    public TransferFeed(ChatRepository chat, AccountRepository accounts, Transactions tx, EventLog events,
                        Clock clock, Duration interval) {
        this.chat = chat;
        this.accounts = accounts;
        this.tx = tx;
        this.events = events;
        this.clock = clock;
        this.intervalNanos = interval.toNanos();
    }

    @Override
    public void progress(String uploadId, UploadState state, long received, long offset, long size) {
        followed(uploadId).subscribe(f -> f.ifPresent(x -> x.offer(state, received, offset, size)),
                e -> log.debug("Upload {}: progress not delivered", uploadId, e));
    }

    @Override
    public void stateChanged(String uploadId) {
        chat.findByUpload(uploadId)
                .flatMap(message -> tx.required(accounts.lock(message.from(), message.to())
                        .then(chat.find(message.id()))
                        .flatMap(latest -> events.append(Event.message(null, Event.Type.MESSAGE_UPDATED,
                                clock.instant(), latest), latest.from(), latest.to()))))
                .retryWhen(StorageRetry.until(Duration.ofMinutes(1)))
                .subscribe(events::publish, e -> log.warn("Upload {}: state change not delivered", uploadId, e),
                        () -> followed.computeIfPresent(uploadId, (k, v) -> null));
    }

    /** The interval between TRANSFER events of one transfer to {@code userId}: longer the more transfers they follow. */
    private long intervalFor(String userId, String uploadId, long now) {
        ConcurrentMap<String, Long> sent = recent.get(userId);
        int transfers = 1;
        if (sent != null) {
            sent.values().removeIf(at -> now - at > RECENT_NANOS);
            transfers = sent.size() + (sent.containsKey(uploadId) ? 0 : 1);
            recent.computeIfPresent(userId, (k, m) -> m.isEmpty() ? null : m);
        }
        return Math.max(intervalNanos, Math.min(LONGEST_INTERVAL_NANOS,
                transfers * TimeUnit.SECONDS.toNanos(1) / USER_EVENTS_PER_SECOND));
    }

    private void sentTo(String userId, String uploadId, long now) {
        recent.computeIfAbsent(userId, k -> new ConcurrentHashMap<>()).put(uploadId, now);
    }

    private Mono<Optional<Followed>> followed(String uploadId) {
        return followed.computeIfAbsent(uploadId, id -> chat.findByUpload(id)
                .map(m -> Optional.of(new Followed(m)))
                .defaultIfEmpty(Optional.empty())
                .cache(v -> Duration.ofDays(365), e -> Duration.ZERO, () -> Duration.ZERO));
    }

    /** One followed transfer: the latest progress, sent at most once per interval. */
    private final class Followed {
        private final ChatMessage message;
        private TransferProgress latest;
        private long lastSent;
        private boolean scheduled;

        Followed(ChatMessage message) {
            this.message = message;
        }

        synchronized void offer(UploadState state, long received, long offset, long size) {
            boolean stateChanged = latest == null || latest.state() != state;
            latest = new TransferProgress(message.file().uploadId(), message.id(), message.from(), message.to(),
                    state, received, offset, size);
            long now = System.nanoTime();
            String id = message.file().uploadId();
            long interval = Math.max(intervalFor(message.from(), id, now), intervalFor(message.to(), id, now));
            long wait = lastSent + interval - now;
            if (stateChanged || wait <= 0) {
                send();
            } else if (!scheduled) {
                scheduled = true;
                Schedulers.parallel().schedule(this::flush, wait, TimeUnit.NANOSECONDS);
            }
        }

        private synchronized void flush() {
            scheduled = false;
            send();
        }

        private void send() {
            lastSent = System.nanoTime();
            Event event = new Event(null, Event.Type.TRANSFER, clock.instant(), null, null, null, latest);
            events.publishLive(message.from(), event);
            events.publishLive(message.to(), event);
            sentTo(message.from(), latest.uploadId(), lastSent);
            sentTo(message.to(), latest.uploadId(), lastSent);
        }
    }
}
