package dev.relay.cli.progress;

import java.io.PrintStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Shows a transfer's progress on stderr: a bar redrawn in place five times a second on a terminal, a plain line at
 * most once a second (and only when something changed) otherwise, nothing when quiet.
 */
public final class ProgressReporter implements AutoCloseable {

    public enum Mode { BAR, PLAIN, QUIET }

    private static final long WINDOW_NANOS = 5_000_000_000L;

    private final PrintStream err;
    private final Mode mode;
    private final String label;
    private final int columns;
    private final long total;
    private final SpeedMeter speed = new SpeedMeter(WINDOW_NANOS);
    private final ScheduledExecutorService ticker;

    private long done;
    private String status;
    private String lastPrinted;
    private boolean drawn;
    private boolean finished;

    public ProgressReporter(PrintStream err, Mode mode, String label, long total, int columns) {
        this.err = err;
        this.mode = mode;
        this.label = label;
        this.total = total;
        this.columns = columns;
        if (mode == Mode.QUIET) {
            ticker = null;
        } else {
            ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread thread = new Thread(r, "relay-progress");
                thread.setDaemon(true);
                return thread;
            });
            long period = mode == Mode.BAR ? 200 : 1000;
            ticker.scheduleAtFixedRate(this::tick, period, period, TimeUnit.MILLISECONDS);
        }
    }

    /** The transfer reached byte {@code position} of the file. */
    public synchronized void update(long position) {
        done = position;
        speed.record(System.nanoTime(), position);
    }

    /** A word shown instead of the ETA ("paused", "reconnecting"), or null for the ETA. */
    public synchronized void status(String status) {
        this.status = status;
    }

    /** A message on a line of its own, above the bar. */
    public synchronized void note(String message) {
        if (mode == Mode.QUIET) {
            return;
        }
        clearBar();
        err.println(message);
        err.flush();
    }

    public synchronized ProgressLine snapshot() {
        return new ProgressLine(done, total, speed.bytesPerSecond(System.nanoTime()), status);
    }

    private synchronized void tick() {
        // A tick that waited for the lock while finish() ran must not draw below the final line.
        if (!finished) {
            draw();
        }
    }

    private synchronized void draw() {
        ProgressLine line = snapshot();
        if (mode == Mode.BAR) {
            int room = Math.max(20, columns - label.length() - 2);
            String text = label + "  " + line.bar(room);
            err.print("\r" + text + "\u001b[K");
            drawn = true;
        } else {
            // Speed and ETA change every second while nothing moves; print only when the transfer did.
            String key = line.done() + "/" + line.status();
            if (!key.equals(lastPrinted)) {
                err.println(label + ": " + line.plain());
                lastPrinted = key;
            }
        }
        err.flush();
    }

    private void clearBar() {
        if (drawn) {
            err.print("\r\u001b[K");
            drawn = false;
        }
    }

    /** Stops redrawing; {@code finalDraw} prints the last state once more (the bar then gets its newline). */
    public synchronized void finish(boolean finalDraw) {
        if (ticker != null) {
            ticker.shutdownNow();
        }
        if (mode == Mode.QUIET || finished) {
            return;
        }
        finished = true;
        if (finalDraw) {
            draw();
        }
        if (drawn) {
            err.println();
            drawn = false;
        }
        err.flush();
    }

    @Override
    public void close() {
        finish(false);
    }
}
