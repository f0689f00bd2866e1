package dev.relay.cli.terminal;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.IntConsumer;

/** Reads single keys from the terminal on a daemon thread (it may stay blocked in read() until the JVM exits). */
public final class KeyReader {

    private KeyReader() {
    }

    public static Thread start(InputStream in, IntConsumer onKey) {
        Thread thread = new Thread(() -> {
            try {
                int key;
                while ((key = in.read()) >= 0) {
                    onKey.accept(key);
                }
            } catch (IOException ignored) {
                // Input closed: no more keys.
            }
        }, "relay-keys");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
