package dev.relay.web.config;

import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;

/** A bean whose work, while the application runs, is one subscription: started with it, disposed when it stops. */
public abstract class DisposableLifecycle implements SmartLifecycle {

    private volatile Disposable running;

    /** Starts the work; what it returns is disposed on stop. */
    protected abstract Disposable run();

    @Override
    public final void start() {
        running = run();
    }

    @Override
    public final void stop() {
        Disposable d = running;
        if (d != null) {
            d.dispose();
        }
        running = null;
    }

    @Override
    public final boolean isRunning() {
        return running != null;
    }
}
