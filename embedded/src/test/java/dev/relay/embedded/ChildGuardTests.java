package dev.relay.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** With real processes ({@code sleep}) standing in for a server left behind by a crashed run. */
class ChildGuardTests {

    private Path dir;
    private Process sleeper;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createDirectories(Path.of("target", "child-guard", UUID.randomUUID().toString())).toAbsolutePath();
        sleeper = new ProcessBuilder(List.of("sleep", "300")).start();
    }

    @AfterEach
    void tearDown() throws IOException, InterruptedException {
        sleeper.destroyForcibly().waitFor();
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    @Test
    void aLeftoverOfAKilledJvmIsStoppedByTheNextStart() throws Exception {
        Process parent = watchedParent();
        long child = awaitChild();
        // The watchdog dies first (as under an OOM killer), so only the next start can stop the child.
        parent.toHandle().children().filter(p -> p.info().commandLine().orElse("").contains(ChildGuard.WATCHDOG_NAME))
            .forEach(p -> p.destroyForcibly());
        parent.destroyForcibly().waitFor();
        Thread.sleep(500);
        assertThat(alive(child)).as("child survives its JVM and watchdog").isTrue();

        ChildGuard next = ChildGuard.acquire(dir, "server");
        try {
            assertThat(alive(child)).as("leftover stopped").isFalse();
            assertThat(dir.resolve("server.process")).doesNotExist();
        } finally {
            next.release();
        }
    }

    @Test
    void aProcessThatOnlySharesTheRecordedPidIsLeftAlone() throws Exception {
        Files.writeString(dir.resolve("server.process"), "pid=" + sleeper.pid() + "\nstart=12345\ncommand=/bin/other\n");
        ChildGuard.acquire(dir, "server").release();
        assertThat(sleeper.isAlive()).isTrue();
    }

    @Test
    void aFolderInUseIsRefused() {
        ChildGuard first = ChildGuard.acquire(dir, "server");
        try {
            assertThatThrownBy(() -> ChildGuard.acquire(dir, "server")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("in use");
        } finally {
            first.release();
        }
    }

    @Test
    void theWatchdogStopsTheChildWhenItsParentDies() throws Exception {
        Process parent = watchedParent();
        long child = awaitChild();
        parent.destroyForcibly().waitFor();

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (alive(child) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(alive(child)).as("child of the dead JVM").isFalse();
    }

    /** A JVM of its own that starts a {@code sleep} under a guard on {@link #dir}, to be SIGKILLed. */
    private Process watchedParent() throws IOException {
        return new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
            System.getProperty("java.class.path"), WatchedParent.class.getName(), dir.toString())
            .inheritIO().start();
    }

    private long awaitChild() throws Exception {
        Path pid = dir.resolve("child.pid");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(pid) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        long child = Long.parseLong(Files.readString(pid).trim());
        assertThat(alive(child)).isTrue();
        return child;
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** The parent of the tests above: its child is a {@code sleep}, its marker the sleep's argument. */
    public static final class WatchedParent {
        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            Process child = new ProcessBuilder(List.of("sleep", "301")).start();
            ChildGuard.acquire(dir, "server").adopt(child.toHandle(), "301");
            Path pid = dir.resolve("child.pid");
            Files.writeString(dir.resolve("child.pid.partial"), Long.toString(child.pid()));
            Files.move(dir.resolve("child.pid.partial"), pid);
            Thread.sleep(300_000);
        }
    }
}
