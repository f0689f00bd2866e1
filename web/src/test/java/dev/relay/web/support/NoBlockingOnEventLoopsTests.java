package dev.relay.web.support;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The blocking detector the integration tests rely on is armed: without this, their check could not fail. */
class NoBlockingOnEventLoopsTests {

    @Test
    void aSleepOnANonBlockingThreadIsCaught() {
        NoBlockingOnEventLoops.install();
        NoBlockingOnEventLoops.drain();
        Mono.fromCallable(() -> {
                    Thread.sleep(1);
                    return 1;
                })
                .subscribeOn(Schedulers.parallel())
                .block(Duration.ofSeconds(5));
        assertThat(NoBlockingOnEventLoops.drain()).singleElement().asString().contains("Thread.sleep");
    }
}
