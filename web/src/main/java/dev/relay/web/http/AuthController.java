package dev.relay.web.http;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.Credentials;
import dev.relay.api.wire.PasswordChange;
import dev.relay.streaming.RateLimitedException;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.chat.EventLog;
import dev.relay.streaming.chat.UserDirectory;
import dev.relay.streaming.port.AccountRepository;
import dev.relay.streaming.port.RateLimits;
import dev.relay.web.security.AccountPolicy;
import dev.relay.web.security.Admission;
import dev.relay.web.security.CurrentUser;
import dev.relay.web.security.JwtTokens;
import dev.relay.web.security.Passwords;
import dev.relay.web.security.SecurityProperties;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;

/**
 * Registration, login and password change: each answers with a signed JWT for HTTP and RSocket. Registrations and
 * logins are throttled per client address, logins per account too, on every node, before any password is hashed.
 */
@RestController
@RequestMapping("/api/auth")
class AuthController {

    private final AccountRepository accounts;
    private final Passwords passwords;
    private final JwtTokens tokens;
    private final Admission admission;
    private final EventLog events;
    private final UserDirectory users;
    private final RateLimits rate;
    private final RateLimits.Limit accountLogins;
    private final RateLimits.Limit addressLogins;
    private final RateLimits.Limit registrations;
    /** Compared against when the username is unknown, so timing does not reveal which usernames exist. */
    private final Mono<String> dummyHash;

    AuthController(AccountRepository accounts, Passwords passwords, JwtTokens tokens, Admission admission,
                   SecurityProperties security, EventLog events, UserDirectory users, RateLimits rate) {
        this.accounts = accounts;
        this.passwords = passwords;
        this.tokens = tokens;
        this.admission = admission;
        this.events = events;
        this.users = users;
        this.rate = rate;
        this.accountLogins = new RateLimits.Limit(security.loginsPerMinute(), security.loginBurst());
        this.addressLogins = new RateLimits.Limit(security.addressLoginsPerMinute(), security.addressLoginBurst());
        this.registrations = RateLimits.Limit.perHour(security.registrationsPerHour(), security.registrationBurst());
        // Kept once made; a refusal (hashing busy) is not kept, or every later unknown name would be refused too.
        this.dummyHash = passwords.encode(UUID.randomUUID().toString())
                .cache(hash -> Duration.ofMillis(Long.MAX_VALUE), e -> Duration.ZERO, () -> Duration.ZERO);
    }

    @PostMapping("/register")
    @ResponseStatus(HttpStatus.CREATED)
    Mono<AuthToken> register(@RequestBody Credentials credentials, ServerHttpRequest request) {
        if (credentials == null) {
            return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "username and password are required."));
        }
        return Mono.fromCallable(() -> AccountPolicy.username(credentials.username()))
                .doOnNext(username -> AccountPolicy.password(credentials.password()))
                .flatMap(username -> throttle("register:" + address(request), registrations,
                        "Too many registrations from this address")
                        .then(admission.admit(username, credentials.invite()))
                        .flatMap(ticket -> passwords.encode(credentials.password())
                                .flatMap(hash -> accounts.create(UUID.randomUUID().toString(), username, hash,
                                        ticket.admin()))
                                .onErrorResume(e -> admission.release(ticket).then(Mono.error(e)))))
                .doOnNext(users::registered)
                .map(tokens::issue);
    }

    @PostMapping("/login")
    Mono<AuthToken> login(@RequestBody Credentials credentials, ServerHttpRequest request) {
        if (credentials == null || credentials.username() == null || credentials.password() == null) {
            return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "username and password are required."));
        }
        String username = credentials.username().strip();
        // Guessing passwords costs the guesser time, not the service CPU: per address, and per account on any node.
        return throttle("login-from:" + address(request), addressLogins, "Too many login attempts from this address")
                .then(throttle("login:" + username.toLowerCase(Locale.ROOT), accountLogins,
                        "Too many login attempts for this account"))
                .then(accounts.findByUsername(username))
                .map(account -> new Candidate(account, account.passwordHash()))
                .switchIfEmpty(dummyHash.map(hash -> new Candidate(null, hash)))
                .filterWhen(c -> passwords.matches(credentials.password(), c.hash()))
                .filter(c -> c.account() != null)
                .switchIfEmpty(Mono.error(() -> new TransferException(ErrorCode.UNAUTHENTICATED,
                        "Wrong username or password.")))
                .flatMap(c -> c.account().disabled()
                        ? Mono.error(new TransferException(ErrorCode.USER_DISABLED, "This account is disabled; ask an"
                        + " administrator."))
                        : Mono.just(tokens.issue(c.account())));
    }

    /**
     * Changes the caller's password. Every token issued before stops working at once (and the connections opened
     * with them close); the answer carries a new token.
     */
    @PostMapping("/password")
    Mono<AuthToken> changePassword(@RequestBody PasswordChange change) {
        if (change == null || change.currentPassword() == null || change.newPassword() == null) {
            return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "currentPassword and newPassword are"
                    + " required."));
        }
        return Mono.fromCallable(() -> AccountPolicy.password(change.newPassword()))
                .then(CurrentUser.id())
                .flatMap(accounts::findById)
                // The current password is guessed as at login: the same bucket of the account.
                .flatMap(account -> throttle("login:" + account.username().toLowerCase(Locale.ROOT), accountLogins,
                        "Too many login attempts for this account").thenReturn(account))
                .filterWhen(account -> passwords.matches(change.currentPassword(), account.passwordHash()))
                .switchIfEmpty(Mono.error(() -> new TransferException(ErrorCode.UNAUTHENTICATED, "The current"
                        + " password is wrong.")))
                .flatMap(account -> passwords.encode(change.newPassword())
                        .flatMap(hash -> accounts.changePassword(account.id(), hash)))
                .doOnNext(account -> events.disconnect(account.id()))
                .map(tokens::issue);
    }

    private Mono<Void> throttle(String key, RateLimits.Limit limit, String what) {
        return rate.take(key, limit).flatMap(wait -> wait == 0 ? Mono.<Void>empty()
                : Mono.error(RateLimitedException.of(what, wait)));
    }

    /**
     * The client's address as this server sees it; behind a proxy, the forwarded one when
     * {@code server.forward-headers-strategy} trusts the proxy's headers.
     */
    private static String address(ServerHttpRequest request) {
        InetSocketAddress remote = request.getRemoteAddress();
        return remote == null || remote.getAddress() == null ? "unknown" : remote.getAddress().getHostAddress();
    }

    private record Candidate(AccountRepository.Account account, String hash) {
    }
}
