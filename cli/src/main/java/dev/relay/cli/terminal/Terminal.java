package dev.relay.cli.terminal;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** What the CLI needs to know about, and do to, the terminal it runs in. */
public final class Terminal {

    private static final File TTY = new File("/dev/tty");

    private Terminal() {
    }

    /**
     * Whether file descriptor {@code fd} (2 for stderr) is a terminal. Java cannot ask isatty() for one stream, so
     * on Linux this looks where /proc says the descriptor points; elsewhere it falls back to "is there a console".
     */
    public static boolean isTerminal(int fd) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return System.console() != null;
        }
    }

    /** The terminal's width: $COLUMNS, else what stty reports, else 80. */
    public static int columns(Map<String, String> env) {
        try {
            int columns = Integer.parseInt(env.getOrDefault("COLUMNS", "").trim());
            if (columns > 0) {
                return columns;
            }
        } catch (NumberFormatException ignored) {
            // Not set (shells rarely export it): ask the terminal.
        }
        try {
            String[] size = stty("size").trim().split("\\s+");
            if (size.length == 2) {
                return Integer.parseInt(size[1]);
            }
        } catch (IOException | NumberFormatException ignored) {
            // No terminal to ask.
        }
        return 80;
    }

    /**
     * Switches the terminal to single-key input without echo ({@code stty -icanon -echo}) until the returned
     * handle is closed or the JVM exits (a shutdown hook restores it after Ctrl-C too).
     */
    public static RawMode rawMode() throws IOException {
        String saved = stty("-g").trim();
        RawMode mode = new RawMode(saved);
        stty("-icanon", "-echo", "min", "1");
        return mode;
    }

    static String stty(String... args) throws IOException {
        String[] command = new String[args.length + 1];
        command[0] = "stty";
        System.arraycopy(args, 0, command, 1, args.length);
        // stty acts on its standard input, which must be the terminal itself.
        Process process = new ProcessBuilder(command).redirectInput(TTY)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (process.waitFor() != 0) {
                throw new IOException("stty " + String.join(" ", args) + " failed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return out;
    }

    /** The terminal's saved settings, put back once. */
    public static final class RawMode implements AutoCloseable {

        private final String saved;
        private final Thread hook;
        private boolean restored;

        private RawMode(String saved) {
            this.saved = saved;
            this.hook = new Thread(this::restore, "relay-terminal-restore");
            Runtime.getRuntime().addShutdownHook(hook);
        }

        private synchronized void restore() {
            if (restored) {
                return;
            }
            restored = true;
            try {
                stty(saved);
            } catch (IOException ignored) {
                // The terminal is gone; nothing left to restore.
            }
        }

        @Override
        public void close() {
            restore();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // Already shutting down: the hook runs (and does nothing more).
            }
        }
    }
}
