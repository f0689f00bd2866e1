package dev.relay.web.http;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.Credentials;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.AccountRepository;
import dev.relay.streaming.port.RateLimits;
import dev.relay.api.wire.PasswordChange;
import dev.relay.streaming.chat.EventLog;
import dev.relay.web.security.CurrentUser;
import dev.relay.web.security.JwtTokens;
import dev.relay.web.security.SecurityProperties;
import org.springframework.http.HttpStatus;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import java.util.UUID;
import java.util.regex.Pattern;

/** Registration, login and password change: each answers with a signed JWT for HTTP and RSocket. */
@RestController
@RequestMapping("/api/auth")
class AuthController {

    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9._-]{3,32}");
    private static final int MIN_PASSWORD = 8;
    private static final int MAX_PASSWORD = 128;

    private final AccountRepository accounts;
    private final PasswordEncoder passwords;
    private final JwtTokens tokens;
    /** Compared against when the username is unknown, so timing does not reveal which usernames exist. */
    private final Mono<String> dummyHash;

    private final SecurityProperties security;
    private final EventLog events;
    private final RateLimits rate;
    private final RateLimits.Limit logins;

    AuthController(AccountRepository accounts, PasswordEncoder passwords, JwtTokens tokens,
                   SecurityProperties security, EventLog events, RateLimits rate) {
        this.rate = rate;
        this.logins = new RateLimits.Limit(security.loginsPerMinute(), security.loginBurst());
        this.accounts = accounts;
        this.passwords = passwords;
        this.tokens = tokens;
        this.security = security;
        this.events = events;
        this.dummyHash = Mono.fromCallable(() -> passwords.encode(UUID.randomUUID().toString()))
                .subscribeOn(Schedulers.boundedElastic())
                .cache();
    }

    @PostMapping("/register")
    @ResponseStatus(HttpStatus.CREATED)
    Mono<AuthToken> register(@RequestBody Credentials credentials) {
        return Mono.fromCallable(() -> validate(credentials))
                .publishOn(Schedulers.boundedElastic())
                .map(valid -> passwords.encode(valid.password()))
                .flatMap(hash -> {
                    String username = credentials.username().strip();
                    return accounts.create(UUID.randomUUID().toString(), username, hash, security.isAdmin(username));
                })
                .map(tokens::issue);
    }

    @PostMapping("/login")
    Mono<AuthToken> login(@RequestBody Credentials credentials) {
        if (credentials == null || credentials.username() == null || credentials.password() == null) {
            return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "username and password are required."));
        }
        String username = credentials.username().strip();
        // Per account, on every node: guessing a password costs the guesser time, not the service CPU.
        return rate.take("login:" + username.toLowerCase(java.util.Locale.ROOT), logins)
                .flatMap(wait -> wait == 0 ? Mono.<Void>empty() : Mono.error(new TransferException(
                        ErrorCode.RATE_LIMITED, "Too many login attempts for this account; try again in "
                        + Math.max(1, (wait + 999) / 1000) + " s.")))
                .then(accounts.findByUsername(username))
                .map(account -> new Candidate(account, account.passwordHash()))
                .switchIfEmpty(dummyHash.map(hash -> new Candidate(null, hash)))
                .publishOn(Schedulers.boundedElastic())
                .filter(c -> passwords.matches(credentials.password(), c.hash()) && c.account() != null)
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
        if (change.newPassword().length() < MIN_PASSWORD || change.newPassword().length() > MAX_PASSWORD) {
            return Mono.error(new TransferException(ErrorCode.INVALID_REQUEST, "A password has " + MIN_PASSWORD
                    + " to " + MAX_PASSWORD + " characters."));
        }
        return CurrentUser.id()
                .flatMap(accounts::findById)
                .publishOn(Schedulers.boundedElastic())
                .filter(account -> passwords.matches(change.currentPassword(), account.passwordHash()))
                .switchIfEmpty(Mono.error(() -> new TransferException(ErrorCode.UNAUTHENTICATED, "The current"
                        + " password is wrong.")))
                .flatMap(account -> accounts.changePassword(account.id(), passwords.encode(change.newPassword())))
                .doOnNext(account -> events.disconnect(account.id()))
                .map(tokens::issue);
    }

    private static Credentials validate(Credentials c) {
        if (c == null || c.username() == null || !USERNAME.matcher(c.username().strip()).matches()) {
            throw new TransferException(ErrorCode.INVALID_REQUEST, "A username has 3 to 32 characters: letters,"
                    + " digits, '.', '_' or '-'.");
        }
        if (c.password() == null || c.password().length() < MIN_PASSWORD || c.password().length() > MAX_PASSWORD) {
            throw new TransferException(ErrorCode.INVALID_REQUEST, "A password has " + MIN_PASSWORD + " to "
                    + MAX_PASSWORD + " characters.");
        }
        return c;
    }

    private record Candidate(AccountRepository.Account account, String hash) {
    }
}
