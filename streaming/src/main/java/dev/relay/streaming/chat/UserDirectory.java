package dev.relay.streaming.chat;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.Event;
import dev.relay.api.wire.UserInfo;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.AccountRepository;
import dev.relay.streaming.port.AccountRepository.Account;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Clock;

/**
 * The users directory, profiles, presence and what administrators do to accounts. Disabled users are hidden from
 * everyone but administrators.
 */
public final class UserDirectory {

    private static final int MAX_LIST = 500;
    private static final int MAX_DISPLAY_NAME = 64;

    private final AccountRepository accounts;
    private final Presence presence;
    private final EventLog events;
    private final Clock clock;

    public UserDirectory(AccountRepository accounts, Presence presence, EventLog events, Clock clock) {
        this.accounts = accounts;
        this.presence = presence;
        this.events = events;
        this.clock = clock;
    }

    public UserInfo info(Account a) {
        return new UserInfo(a.id(), a.username(), a.displayName(), a.role(), presence.isOnline(a.id()), a.disabled());
    }

    public Mono<UserInfo> me(String userId) {
        return accounts.findById(userId).map(this::info)
                .switchIfEmpty(Mono.error(() -> new TransferException(ErrorCode.UNAUTHENTICATED,
                        "The account of this token no longer exists; log in again.")));
    }

    public Flux<UserInfo> list() {
        return accounts.list(false, MAX_LIST).map(this::info);
    }

    public Flux<UserInfo> search(String query, Integer limit) {
        if (query == null || query.isBlank()) {
            return Flux.error(new TransferException(ErrorCode.INVALID_REQUEST, "users.search needs a non-empty"
                    + " \"query\"."));
        }
        int n = limit == null ? 50 : Math.max(1, Math.min(limit, MAX_LIST));
        return accounts.search(query.strip(), n).map(this::info);
    }

    /** An enabled user other than {@code viewerId}, for sending them something. */
    public Mono<Account> recipient(String viewerId, String idOrUsername) {
        if (idOrUsername == null || idOrUsername.isBlank()) {
            return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "A recipient is required."));
        }
        String key = idOrUsername.strip();
        return accounts.findById(key)
                .switchIfEmpty(Mono.defer(() -> accounts.findByUsername(key)))
                .switchIfEmpty(Mono.error(() -> new TransferException(ErrorCode.NOT_FOUND, "No user \"" + key
                        + "\"; look users up with users.search.")))
                .flatMap(a -> {
                    if (a.disabled()) {
                        return Mono.error(new TransferException(ErrorCode.USER_DISABLED, "User " + a.username()
                                + " is disabled and cannot receive messages or files."));
                    }
                    if (a.id().equals(viewerId)) {
                        return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "You cannot send messages"
                                + " or files to yourself; upload without a recipient to keep a file."));
                    }
                    return Mono.just(a);
                });
    }

    /** Any existing user (disabled ones too: their past conversations stay readable). */
    public Mono<Account> existing(String userId) {
        return accounts.findById(userId)
                .switchIfEmpty(Mono.error(() -> new TransferException(ErrorCode.NOT_FOUND, "No user with id "
                        + userId + ".")));
    }

    public Mono<UserInfo> updateProfile(String userId, String displayName) {
        String name = displayName == null ? "" : displayName.strip();
        if (name.isEmpty() || name.length() > MAX_DISPLAY_NAME || name.chars().anyMatch(Character::isISOControl)) {
            return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "A display name has 1 to "
                    + MAX_DISPLAY_NAME + " characters and no control characters."));
        }
        return accounts.updateDisplayName(userId, name).map(this::info)
                .doOnNext(user -> announce(Event.Type.USER, user));
    }

    // ---- presence --------------------------------------------------------------------------------------------------

    /** A connection of the user opened; announces them online if it is their first. */
    public void connected(String userId) {
        if (presence.connected(userId)) {
            accounts.findById(userId).subscribe(a -> announce(Event.Type.PRESENCE, info(a)), e -> { });
        }
    }

    /** A connection of the user closed; announces them offline if it was their last. */
    public void disconnected(String userId) {
        if (presence.disconnected(userId)) {
            accounts.findById(userId).subscribe(a -> announce(Event.Type.PRESENCE, info(a)), e -> { });
        }
    }

    private void announce(Event.Type type, UserInfo user) {
        events.publishLive(null, new Event(null, type, clock.instant(), null, null, user, null));
    }

    // ---- administration --------------------------------------------------------------------------------------------

    public Flux<UserInfo> all() {
        return accounts.list(true, MAX_LIST).map(this::info);
    }

    /** Disables a user: their token stops working and their connections close at once. */
    public Mono<UserInfo> disable(String adminId, String userId) {
        if (adminId.equals(userId)) {
            return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "You cannot disable yourself."));
        }
        return existing(userId)
                .then(accounts.setDisabled(userId, true))
                .doOnNext(a -> {
                    // The user's own streams hear it first, so their clients know why the connection closes.
                    announce(Event.Type.USER, info(a));
                    events.disconnect(userId);
                })
                .map(this::info);
    }

    public Mono<UserInfo> enable(String userId) {
        return existing(userId)
                .then(accounts.setDisabled(userId, false))
                .doOnNext(a -> announce(Event.Type.USER, info(a)))
                .map(this::info);
    }
}
