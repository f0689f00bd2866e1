package dev.relay.web.rsocket;

import dev.relay.api.ErrorCode;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.chat.PresenceInterest;
import dev.relay.streaming.chat.UserDirectory;
import dev.relay.streaming.port.EventBus;
import dev.relay.web.security.CurrentUser;
import dev.relay.web.config.DisposableLifecycle;
import org.springframework.messaging.rsocket.RSocketRequester;
import org.springframework.messaging.rsocket.annotation.ConnectMapping;
import org.springframework.stereotype.Controller;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;

import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The open RSocket connections of each user on this node (at most {@code relay.connections.max-per-user}): they
 * make the user's presence, and they are closed at once when the user is disabled or changes their password (a
 * disconnect signal on the event bus, from any node), and when the token they were opened with expires (the client
 * reconnects with a fresh one). It also hands the node's presence batches to the streams that follow each user
 * ({@link PresenceInterest}) and drops a closed connection's {@code presence.watch} set.
 */
@Controller
class Connections extends DisposableLifecycle {

    private final UserDirectory users;
    private final PresenceInterest interest;
    private final EventBus bus;
    private final ConcurrentMap<String, Set<RSocketRequester>> open = new ConcurrentHashMap<>();

    private final Clock clock;
    private final int maxPerUser;

    Connections(UserDirectory users, PresenceInterest interest, EventBus bus, Clock clock, ConnectionLimits limits) {
        this.users = users;
        this.interest = interest;
        this.bus = bus;
        this.clock = clock;
        this.maxPerUser = limits.maxPerUser();
    }

    /** Every accepted SETUP (security has authenticated it already). */
    @ConnectMapping
    Mono<Void> connected(RSocketRequester requester) {
        return CurrentUser.token().flatMap(token -> {
            String user = token.getSubject();
            Set<RSocketRequester> mine = open.computeIfAbsent(user, k -> ConcurrentHashMap.newKeySet());
            if (mine.size() >= maxPerUser) {
                return Mono.error(new TransferException(ErrorCode.LIMIT_EXCEEDED, "You have " + maxPerUser
                        + " connections open to this server, the most one user may (relay.connections.max-per-user);"
                        + " close some first."));
            }
            mine.add(requester);
            users.connected(user);
            // Requests on a connection are authorised by its SETUP's token: the connection must not outlive it.
            Duration left = Duration.between(clock.instant(), token.getExpiresAt());
            Disposable expiry = Mono.delay(left.isNegative() ? Duration.ZERO : left)
                    .subscribe(tick -> requester.rsocket().dispose());
            requester.rsocket().onClose()
                    .doFinally(signal -> {
                        expiry.dispose();
                        Set<RSocketRequester> set = open.get(user);
                        if (set != null) {
                            set.remove(requester);
                        }
                        interest.forget(requester.rsocket());
                        users.disconnected(user);
                    })
                    .subscribe(null, e -> { });
            return Mono.<Void>empty();
        });
    }

    private void close(String user) {
        Set<RSocketRequester> set = open.remove(user);
        if (set != null) {
            set.forEach(r -> r.rsocket().dispose());
        }
    }

    @Override
    protected Disposable run() {
        return Disposables.composite(bus.subscribe()
                .filter(e -> e.disconnect() && e.userId() != null)
                .subscribe(e -> close(e.userId())), users.announceLost(), interest.follow(bus));
    }
}
