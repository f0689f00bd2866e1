package dev.relay.web.security;

import dev.relay.api.ErrorCode;
import dev.relay.streaming.TransferException;
import org.junit.jupiter.api.Test;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.security.crypto.password.PasswordEncoder;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PasswordsUnitTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void hashesPastTheQueueAreRefusedWithRateLimitedNotQueuedWithoutBound() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        PasswordEncoder slow = new PasswordEncoder() {
            @Override
            public String encode(CharSequence raw) {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return "hash";
            }

            @Override
            public boolean matches(CharSequence raw, String encoded) {
                return true;
            }
        };
        try (Passwords passwords = new Passwords(slow, 1, 1)) {
            Mono<String> running = passwords.encode("a").cache();
            running.subscribe();
            Mono<String> queued = passwords.encode("b").cache();
            queued.subscribe();
            Thread.sleep(200);
            assertThatThrownBy(() -> passwords.encode("c").block(TIMEOUT))
                    .isInstanceOfSatisfying(TransferException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.RATE_LIMITED));
            release.countDown();
            assertThat(running.block(TIMEOUT)).isEqualTo("hash");
            assertThat(queued.block(TIMEOUT)).isEqualTo("hash");
        }
    }

    @Test
    void newHashesAreArgon2AndStoredBcryptHashesStillMatch() {
        try (Passwords passwords = new Passwords(1, 4)) {
            String longPassword = "密".repeat(40);
            String hash = passwords.encode(longPassword).block(TIMEOUT);
            assertThat(hash).startsWith("{argon2}");
            assertThat(passwords.matches(longPassword, hash).block(TIMEOUT)).isTrue();
            assertThat(passwords.matches(longPassword + "x", hash).block(TIMEOUT)).isFalse();

            String bcrypt = "{bcrypt}" + new BCryptPasswordEncoder().encode("correct horse battery");
            assertThat(passwords.matches("correct horse battery", bcrypt).block(TIMEOUT)).isTrue();
            // BCrypt cannot take it: a wrong password, not an error.
            assertThat(passwords.matches(longPassword, bcrypt).block(TIMEOUT)).isFalse();
        }
    }
}
