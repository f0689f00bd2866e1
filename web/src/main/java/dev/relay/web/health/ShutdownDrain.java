package dev.relay.web.health;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import java.time.Duration;

/**
 * On shutdown, keeps the node serving for {@code relay.shutdown.drain-delay} after Boot has turned readiness to
 * REFUSING_TRAFFIC (503), before upload channels close and the port closes. Without it the port closes within
 * milliseconds of SIGTERM, so a load balancer never sees the 503 and learns of the node's end from refused
 * connections. It stops first (the highest phase), so everything keeps working meanwhile.
 */
@Component
class ShutdownDrain implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ShutdownDrain.class);

    private final Duration delay;
    private volatile boolean running;

    ShutdownDrain(@Value("${relay.shutdown.drain-delay:0s}") Duration delay) {
        this.delay = delay;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        if (delay.isZero() || delay.isNegative()) {
            return;
        }
        log.info("Draining: readiness answers 503 for {} before the node stops", delay);
        try {
            Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE;
    }
}
