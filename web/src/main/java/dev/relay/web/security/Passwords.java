package dev.relay.web.security;

import dev.relay.api.ErrorCode;
import dev.relay.streaming.TransferException;
import org.springframework.security.crypto.argon2.Argon2PasswordEncoder;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.security.crypto.password.DelegatingPasswordEncoder;
import org.springframework.security.crypto.password.PasswordEncoder;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Password hashing on a scheduler of its own with a bounded queue: a flood of logins or registrations costs at most
 * {@code threads} cores and is refused with RATE_LIMITED past {@code queue} waiting hashes, instead of slowing every
 * other request. New hashes are Argon2id, which takes any length (BCrypt refuses more than 72 bytes); hashes stored
 * as {@code {bcrypt}...} keep working.
 */
public final class Passwords implements AutoCloseable {

    private final PasswordEncoder encoder;
    private final Scheduler scheduler;
    /** Hashes running or waiting: counted here, as the scheduler's own queue bound is not exact. */
    private final AtomicInteger admitted = new AtomicInteger();
    private final int capacity;

    public Passwords(int threads, int queue) {
        this(new DelegatingPasswordEncoder("argon2", Map.of(
                "argon2", Argon2PasswordEncoder.defaultsForSpringSecurity_v5_8(),
                "bcrypt", new BCryptPasswordEncoder())), threads, queue);
    }

    Passwords(PasswordEncoder encoder, int threads, int queue) {
        this.encoder = encoder;
        this.scheduler = Schedulers.newBoundedElastic(threads, Integer.MAX_VALUE, "password-hash");
        this.capacity = threads + queue;
    }

    public Mono<String> encode(String raw) {
        return run(() -> encoder.encode(raw));
    }

    /** False, never an error, for a password the stored hash's algorithm cannot take (BCrypt past 72 bytes). */
    public Mono<Boolean> matches(String raw, String hash) {
        return run(() -> {
            try {
                return encoder.matches(raw, hash);
            } catch (IllegalArgumentException e) {
                return false;
            }
        });
    }

    private <T> Mono<T> run(Callable<T> hashing) {
        return Mono.defer(() -> {
            if (admitted.incrementAndGet() > capacity) {
                admitted.decrementAndGet();
                return Mono.error(new TransferException(ErrorCode.RATE_LIMITED, "The service is busy checking"
                        + " passwords; try again in a few seconds."));
            }
            return Mono.fromCallable(hashing).subscribeOn(scheduler).doFinally(signal -> admitted.decrementAndGet());
        });
    }

    @Override
    public void close() {
        scheduler.dispose();
    }
}
