package dev.relay.embedded;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Keeps a server process this JVM starts (mariadbd, S3Proxy) from outliving the JVM, and lets a later start stop one
 * that did anyway.
 *
 * <ul>
 *   <li>{@code <name>.lock} in the server's folder is locked while the server runs: the OS lets go of it when the JVM
 *       dies, however it dies. A start that cannot take it fails: another live process uses the folder.</li>
 *   <li>{@code <name>.process} records the child's pid, start time and command line. A start that takes the lock
 *       and finds a live process matching all three knows it was left behind by a JVM that died, and stops it
 *       (SIGTERM, then SIGKILL). A process that does not match is someone else's (a reused pid) and is left alone;
 *       one that cannot be checked (no start time or command line on this system) too.</li>
 *   <li>On Linux a watchdog ({@code /bin/sh}, named {@value #WATCHDOG_NAME}) waits for the end of a pipe only this
 *       JVM holds: when the JVM is gone it stops the child, after checking through {@code /proc} that the pid still
 *       runs our command line. Elsewhere there is no watchdog and the next start does the clean-up.</li>
 * </ul>
 */
final class ChildGuard {

    static final String WATCHDOG_NAME = "relay-embedded-watchdog";

    private static final Log DEFAULT_LOG = LogFactory.getLog(ChildGuard.class);
    private static volatile Log log = DEFAULT_LOG;
    private static final Duration STOP_GRACE = Duration.ofSeconds(60);

    // $1 pid, $2 an argument of the child's command line naming its folder. read returns when the JVM, the only
    // holder of the pipe's other end, is gone; the pid is checked before every signal so a reused one is spared.
    private static final String WATCHDOG_SCRIPT = String.join("\n",
        "ours() { tr '\\000' '\\n' < \"/proc/$1/cmdline\" 2>/dev/null | grep -qxF -- \"$2\"; }",
        "read -r _",
        "ours \"$1\" \"$2\" || exit 0",
        "kill -TERM \"$1\" 2>/dev/null",
        "i=0",
        "while [ $i -lt " + STOP_GRACE.toSeconds() + " ] && ours \"$1\" \"$2\"; do sleep 1; i=$((i+1)); done",
        "ours \"$1\" \"$2\" && kill -KILL \"$1\" 2>/dev/null",
        "exit 0");

    private final Path record;
    private final String name;
    /** Holds the folder's lock while open. */
    private final FileChannel channel;
    private Process watchdog;

    private ChildGuard(Path record, String name, FileChannel channel) {
        this.record = record;
        this.name = name;
        this.channel = channel;
    }

    /**
     * Where to report from now on, or {@code null} for the default: while the environment is prepared, before Spring
     * Boot's logging exists, only the post-processor's deferred log reaches the service's log.
     */
    static void useLog(Log target) {
        log = target == null ? DEFAULT_LOG : target;
    }

    /**
     * Takes the folder's lock for the server {@code name} and stops what a dead predecessor left running there.
     *
     * @throws IllegalStateException if another process (or another server object of this JVM) uses the folder
     */
    static ChildGuard acquire(Path dir, String name) {
        Path lockFile = dir.resolve(name + ".lock");
        FileChannel channel = null;
        try {
            OwnerOnly.file(lockFile);
            channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
            if (channel.tryLock() == null) {
                throw new IllegalStateException(dir + " is in use by another process (" + lockFile + " is locked)");
            }
            ChildGuard guard = new ChildGuard(dir.resolve(name + ".process"), name, channel);
            guard.stopLeftover();
            return guard;
        } catch (OverlappingFileLockException e) {
            close(channel);
            throw new IllegalStateException(dir + " is in use by another server of this JVM", e);
        } catch (IOException e) {
            close(channel);
            throw new UncheckedIOException("Cannot lock " + lockFile, e);
        } catch (RuntimeException e) {
            close(channel);
            throw e;
        }
    }

    /** Records the started child and starts its watchdog; {@code marker} is one of its arguments naming its folder. */
    synchronized void adopt(ProcessHandle child, String marker) {
        ProcessHandle.Info info = child.info();
        Properties properties = new Properties();
        properties.setProperty("pid", Long.toString(child.pid()));
        info.startInstant().ifPresent(start -> properties.setProperty("start", Long.toString(start.toEpochMilli())));
        info.commandLine().ifPresent(command -> properties.setProperty("command", command));
        try {
            OwnerOnly.file(record);
            try (Writer out = Files.newBufferedWriter(record, StandardCharsets.UTF_8)) {
                properties.store(out, "The " + name + " process of the running service: stopped by the next start"
                    + " if the service dies without stopping it");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + record, e);
        }
        watchdog = startWatchdog(child, marker);
    }

    /** The child has stopped: the watchdog goes, the record and the lock too. Safe to call more than once. */
    synchronized void release() {
        if (watchdog != null) {
            // SIGKILL: the watchdog must not take its end of the pipe for the JVM's death.
            watchdog.destroyForcibly();
            watchdog = null;
        }
        try {
            Files.deleteIfExists(record);
        } catch (IOException e) {
            log.warn("Could not delete " + record + ": " + e);
        }
        close(channel);
    }

    private void stopLeftover() throws IOException {
        if (!Files.exists(record)) {
            return;
        }
        Properties recorded = new Properties();
        try (Reader in = Files.newBufferedReader(record, StandardCharsets.UTF_8)) {
            recorded.load(in);
        }
        Optional<ProcessHandle> process = parsePid(recorded.getProperty("pid")).flatMap(ProcessHandle::of);
        if (process.isPresent() && process.get().isAlive()) {
            ProcessHandle.Info info = process.get().info();
            String start = info.startInstant().map(Instant::toEpochMilli).map(String::valueOf).orElse(null);
            String command = info.commandLine().orElse(null);
            if (start == null || command == null || recorded.getProperty("start") == null
                || recorded.getProperty("command") == null) {
                log.warn("Process " + process.get().pid() + " recorded in " + record + " as a " + name + " of an"
                    + " earlier run is running and cannot be checked here; if the start fails, stop it");
            } else if (start.equals(recorded.getProperty("start")) && command.equals(recorded.getProperty("command"))) {
                log.warn("Stopping " + name + " (pid " + process.get().pid() + ") left running by an earlier run"
                    + " that ended without stopping it");
                stop(process.get());
            }
        }
        Files.delete(record);
    }

    private void stop(ProcessHandle process) {
        CompletableFuture<ProcessHandle> exit = process.onExit();
        process.destroy();
        try {
            exit.get(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            return;
        } catch (TimeoutException e) {
            process.destroyForcibly();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while stopping the leftover " + name, e);
        }
        try {
            exit.get(10, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            throw new IllegalStateException("The leftover " + name + " (pid " + process.pid() + ") does not stop", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while stopping the leftover " + name, e);
        }
    }

    private Process startWatchdog(ProcessHandle child, String marker) {
        if (!Files.isExecutable(Path.of("/bin/sh")) || !Files.isDirectory(Path.of("/proc/self"))) {
            return null;
        }
        try {
            Process started = new ProcessBuilder(List.of("/bin/sh", "-c", WATCHDOG_SCRIPT, WATCHDOG_NAME,
                    Long.toString(child.pid()), marker))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
            // Its stdin stays open, unwritten, for the JVM's life: the kernel closes it when the JVM dies.
            return started;
        } catch (IOException e) {
            log.warn("No watchdog for " + name + " (" + e + "): after a crash the next start stops it");
            return null;
        }
    }

    private static Optional<Long> parsePid(String pid) {
        try {
            return pid == null ? Optional.empty() : Optional.of(Long.parseLong(pid.trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void close(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Closing releases the lock; nothing else to do.
            }
        }
    }
}
