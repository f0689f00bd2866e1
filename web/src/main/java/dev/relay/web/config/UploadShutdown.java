package dev.relay.web.config;

import dev.relay.streaming.upload.UploadService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import java.time.Duration;

/**
 * On shutdown, before the web server stops (a higher phase stops earlier), every open write channel stores what it
 * received and ends with SHUTTING_DOWN; storage is still up at that point. A restart then resumes each upload with
 * nothing lost but what was in flight, where a kill would lose up to the parts in memory.
 */
final class UploadShutdown implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(UploadShutdown.class);
    /** Runs before WebServerGracefulShutdownLifecycle (DEFAULT_PHASE - 1024). */
    private static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 512;

    private final UploadService uploads;
    private final Duration timeout;
    private volatile boolean running;

    UploadShutdown(UploadService uploads, Duration timeout) {
        this.uploads = uploads;
        this.timeout = timeout;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        int open = uploads.openSessions();
        if (open == 0) {
            return;
        }
        log.info("Closing {} open upload channels; their received bytes are made durable", open);
        try {
            uploads.closeAll().block(timeout);
        } catch (RuntimeException e) {
            log.warn("Not every upload channel closed within {}; uploads resume from their last durable offset",
                    timeout, e);
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
