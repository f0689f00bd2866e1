package dev.relay.streaming.chat;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.Event;
import dev.relay.api.wire.UserInfo;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.support.RequestBatcher;
import dev.relay.streaming.support.VisibleNames;
import dev.relay.streaming.port.AccountRepository;
import dev.relay.streaming.port.PresenceStore;
import dev.relay.streaming.port.AccountRepository.Account;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The users directory, profiles, presence and what administrators do to accounts. Disabled users are hidden from
 * everyone but administrators.
 */
public final class UserDirectory {

    private static final int MAX_LIST = 500;
    private static final int MAX_DISPLAY_NAME = 64;
    /** Recipient lookups at once; lookups arriving meanwhile go together, in one query (see ChatService's writes). */
    private static final int LOOKUPS = 2;
    private static final int MAX_LOOKUP_BATCH = 200;

    private final AccountRepository accounts;
    private final PresenceStore presence;
    private final PresenceBatcher changes;
    private final PresenceInterest interest;
    private final EventLog events;
    private final Clock clock;
    private final RequestBatcher<String, Optional<Account>> lookups = new RequestBatcher<>(this::lookUp, LOOKUPS,
            MAX_LOOKUP_BATCH);

    /**
     * @param changes  where this node's presence changes go (coalesced, batched, published)
     * @param interest which of this node's streams follow whom ({@link #watch})
     */
    public UserDirectory(AccountRepository accounts, PresenceStore presence, PresenceBatcher changes,
                         PresenceInterest interest, EventLog events, Clock clock) {
        this.accounts = accounts;
        this.presence = presence;
        this.changes = changes;
        this.interest = interest;
        this.events = events;
        this.clock = clock;
    }

    public Mono<UserInfo> info(Account a) {
        return presence.online(List.of(a.id())).map(online -> info(a, online.contains(a.id())));
    }

    /** The accounts' infos in their order, with one presence lookup for all. */
    public Flux<UserInfo> infos(List<Account> list) {
        if (list.isEmpty()) {
            return Flux.empty();
        }
        return presence.online(list.stream().map(Account::id).toList())
                .flatMapIterable(online -> list.stream().map(a -> info(a, online.contains(a.id()))).toList());
    }

    static UserInfo info(Account a, boolean online) {
        return new UserInfo(a.id(), a.username(), a.displayName(), a.role(), online, a.disabled());
    }

    public Mono<UserInfo> me(String userId) {
        return accounts.findById(userId).flatMap(this::info)
                .switchIfEmpty(Mono.error(() -> new TransferException(ErrorCode.UNAUTHENTICATED,
                        "The account of this token no longer exists; log in again.")));
    }

    public Flux<UserInfo> list() {
        return accounts.list(false, MAX_LIST).collectList().flatMapMany(this::infos);
    }

    public Flux<UserInfo> search(String query, Integer limit) {
        if (query == null || query.isBlank()) {
            return Flux.error(new TransferException(ErrorCode.INVALID_REQUEST, "users.search needs a non-empty"
                    + " \"query\"."));
        }
        int n = limit == null ? 50 : Math.max(1, Math.min(limit, MAX_LIST));
        return accounts.search(query.strip(), n).collectList().flatMapMany(this::infos);
    }

    /** An enabled user other than {@code viewerId}, for sending them something. */
    public Mono<Account> recipient(String viewerId, String idOrUsername) {
        if (idOrUsername == null || idOrUsername.isBlank()) {
            return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "A recipient is required."));
        }
        String key = idOrUsername.strip();
        return lookups.submit(key)
                .flatMap(Mono::justOrEmpty)
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

    /** Each key's account, by id or else by username; one query for the ids of all, one for each other key. */
    private Mono<List<Optional<Account>>> lookUp(List<String> keys) {
        return accounts.findByIds(keys.stream().distinct().toList()).collectMap(Account::id)
                .flatMap(byId -> Flux.fromIterable(keys.stream().filter(k -> !byId.containsKey(k)).distinct().toList())
                        .concatMap(name -> accounts.findByUsername(name).map(a -> Map.entry(name, a)))
                        .collectMap(Map.Entry::getKey, Map.Entry::getValue)
                        .map(byName -> keys.stream().map(k -> Optional.ofNullable(byId.getOrDefault(k,
                                byName.get(k)))).toList()));
    }

    /** Any existing user (disabled ones too: their past conversations stay readable). */
    public Mono<Account> existing(String userId) {
        return accounts.findById(userId)
                .switchIfEmpty(Mono.error(() -> new TransferException(ErrorCode.NOT_FOUND, "No user with id "
                        + userId + ".")));
    }

    public Mono<UserInfo> updateProfile(String userId, String displayName) {
        String name = displayName == null ? "" : displayName.strip();
        if (name.isEmpty() || name.length() > MAX_DISPLAY_NAME) {
            return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "A display name has 1 to "
                    + MAX_DISPLAY_NAME + " characters."));
        }
        String unseen = VisibleNames.problem("A display name", name);
        if (unseen != null) {
            return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, unseen));
        }
        // An unchanged name is not news: repeating it must not reach every user's screen again.
        return existing(userId).flatMap(current -> current.displayName().equals(name) ? info(current)
                : accounts.updateDisplayName(userId, name).flatMap(this::info)
                .doOnNext(user -> announce(Event.Type.USER, user)));
    }

    /**
     * A new account: announced to everyone (USER), as presence is not, so that open apps list the newcomer and can
     * watch them.
     */
    public void registered(Account a) {
        announce(Event.Type.USER, info(a, false));
    }

    // ---- presence --------------------------------------------------------------------------------------------------

    /** A connection of the user opened; announces them online if it is their first anywhere. */
    public void connected(String userId) {
        presence.connected(userId)
                .subscribe(first -> {
                    if (first) {
                        changes.changed(userId, true);
                    }
                }, e -> { });
    }

    /** A connection of the user closed; announces them offline if it was their last anywhere. */
    public void disconnected(String userId) {
        presence.disconnected(userId)
                .subscribe(last -> {
                    if (last) {
                        changes.changed(userId, false);
                    }
                }, e -> { });
    }

    /**
     * Announces offline the users whose connections were on a node that stopped answering, until disposed (the
     * store reports each such user once, on one node).
     */
    public Disposable announceLost() {
        return presence.lost().subscribe(userId -> changes.changed(userId, false), e -> { });
    }

    /**
     * {@code presence.watch}: from now on the event streams of {@code connection} also get the presence changes of
     * {@code userIds} (replacing what it watched before; an empty list watches nobody). Answers the current state of
     * those that exist and are enabled, in the order asked, so the client has the state and then the changes.
     */
    public Mono<List<UserInfo>> watch(Object connection, List<String> userIds) {
        if (userIds == null) {
            return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "presence.watch needs"
                    + " {\"users\": [user id, ...]}."));
        }
        List<String> ids = userIds.stream().filter(id -> id != null && !id.isBlank()).distinct().toList();
        if (ids.size() > PresenceInterest.MAX_WATCH) {
            return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "presence.watch takes at most "
                    + PresenceInterest.MAX_WATCH + " users, not " + ids.size() + "."));
        }
        // Watch first, then read: a change after the read arrives as an event, none falls in between.
        interest.watch(connection, ids);
        return accounts.findByIds(ids).filter(a -> !a.disabled()).collectList()
                .flatMap(found -> {
                    Map<String, Account> byId = found.stream().collect(Collectors.toMap(Account::id, a -> a));
                    return infos(ids.stream().map(byId::get).filter(Objects::nonNull).toList()).collectList();
                });
    }

    private void announce(Event.Type type, UserInfo user) {
        events.publishLive(null, new Event(null, type, clock.instant(), null, null, user, null));
    }

    // ---- administration --------------------------------------------------------------------------------------------

    public Flux<UserInfo> all() {
        return accounts.list(true, MAX_LIST).collectList().flatMapMany(this::infos);
    }

    /** Disables a user: their token stops working and their connections close at once. */
    public Mono<UserInfo> disable(String adminId, String userId) {
        if (adminId.equals(userId)) {
            return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "You cannot disable yourself."));
        }
        return existing(userId)
                .then(accounts.setDisabled(userId, true))
                .flatMap(this::info)
                .doOnNext(user -> {
                    // The user's own streams hear it first, so their clients know why the connection closes.
                    announce(Event.Type.USER, user);
                    events.disconnect(userId);
                });
    }

    public Mono<UserInfo> enable(String userId) {
        return existing(userId)
                .then(accounts.setDisabled(userId, false))
                .flatMap(this::info)
                .doOnNext(user -> announce(Event.Type.USER, user));
    }
}
