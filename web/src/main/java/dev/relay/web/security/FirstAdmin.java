package dev.relay.web.security;

import dev.relay.api.ErrorCode;
import dev.relay.streaming.TransferException;
import dev.relay.streaming.port.AccountRepository;
import dev.relay.streaming.port.AccountRepository.Account;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.UUID;

/**
 * At start-up: makes the operator's administrator account ({@code relay.security.admin.*}) if it is missing, or, when
 * there is none and no administrator exists yet, logs the setup token the first administrator registers with.
 */
final class FirstAdmin implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(FirstAdmin.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final AccountRepository accounts;
    private final Passwords passwords;
    private final Admission admission;
    private final SecurityProperties.Admin admin;

    FirstAdmin(AccountRepository accounts, Passwords passwords, Admission admission, SecurityProperties properties) {
        this.accounts = accounts;
        this.passwords = passwords;
        this.admission = admission;
        this.admin = properties.admin();
    }

    @Override
    public void run(ApplicationArguments args) {
        if (admin.configured()) {
            Account account = ensure(admin.username().strip(), admin.password()).block(TIMEOUT);
            log.info("Administrator account \"{}\" is ready (relay.security.admin.username).", account.username());
        } else if (Boolean.FALSE.equals(accounts.hasAdmin().block(TIMEOUT))) {
            log.warn("This service has no administrator yet. Register the first one with the setup token {} (the"
                    + " browser app's \"Invite code\" field, or \"invite\" of POST /api/auth/register); it stops"
                    + " working once an administrator exists. Or set relay.security.admin.username and .password.",
                    admission.setupToken());
        }
    }

    private Mono<Account> ensure(String username, String password) {
        if (password == null || password.length() < AccountPolicy.MIN_PASSWORD) {
            return Mono.error(new IllegalStateException("relay.security.admin.password must have at least "
                    + AccountPolicy.MIN_PASSWORD + " characters when relay.security.admin.username is set."));
        }
        // Another node may create it at the same moment: a CONFLICT then means it exists.
        Mono<Account> create = passwords.encode(password)
                .flatMap(hash -> accounts.create(UUID.randomUUID().toString(), username, hash, true))
                .onErrorResume(e -> e instanceof TransferException t && t.code() == ErrorCode.CONFLICT,
                        e -> accounts.findByUsername(username));
        return accounts.findByUsername(username)
                .switchIfEmpty(create)
                .flatMap(account -> account.admin() ? Mono.just(account) : passwords.matches(password,
                        account.passwordHash()).flatMap(same -> same ? accounts.promote(account.id())
                        : Mono.error(new IllegalStateException("The account \"" + username + "\" exists, is not an"
                        + " administrator, and relay.security.admin.password is not its password: it is not made"
                        + " an administrator. Choose another relay.security.admin.username."))));
    }
}
