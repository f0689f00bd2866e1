package dev.relay.streaming.upload;

import dev.relay.streaming.digest.ResumableSha256;
import dev.relay.streaming.port.PartFeed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Parts in files of a local directory instead of the heap: an active upload then holds a few KiB of heap whatever
 * its part size, and the bytes not yet durable wait in the page cache (a part's file goes once S3 and the database
 * have it, mostly before the kernel ever writes it out). The files are a cache of bytes the client can send again:
 * losing them (a crash) costs what losing a heap buffer costs.
 *
 * <p>Each process spools into a directory of its own, locked while it runs; at start a process removes the
 * directories whose lock nobody holds (left by a process that died), never another running node's.
 */
public final class PartSpool implements PartBytes.Allocator {

    private static final Logger log = LoggerFactory.getLogger(PartSpool.class);
    private static final String LOCK = "lock";
    /** What one copy from a chunk to a file takes at a time (per thread, not per upload). */
    private static final int SCRATCH_BYTES = 128 * 1024;
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[SCRATCH_BYTES]);
    /**
     * The spools of this process: never opened by {@link #removeAbandoned}, because closing any descriptor of a file
     * drops every POSIX lock the process holds on it (several application contexts in one JVM, as in tests).
     */
    private static final Set<Path> OWN = ConcurrentHashMap.newKeySet();

    private final Path directory;
    private final FileChannel lockFile;
    private final FileLock lock;

    private PartSpool(Path directory, FileChannel lockFile, FileLock lock) {
        this.directory = directory;
        this.lockFile = lockFile;
        this.lock = lock;
    }

    /** Opens a spool of its own under {@code base} (created if missing), after removing abandoned ones. */
    public static PartSpool open(Path base) throws IOException {
        Files.createDirectories(base);
        removeAbandoned(base);
        // Locked before it takes its name: another process starting now must never see it unlocked.
        Path starting = Files.createTempDirectory(base, "starting-");
        FileChannel lockFile = FileChannel.open(starting.resolve(LOCK), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock = lockFile.lock();
        Path directory = Files.move(starting, base.resolve("node-" + starting.getFileName().toString()
                .substring("starting-".length())));
        OWN.add(directory.toAbsolutePath().normalize());
        return new PartSpool(directory, lockFile, lock);
    }

    public Path directory() {
        return directory;
    }

    /** Bytes free on the spool's file system. */
    public long usableBytes() throws IOException {
        return Files.getFileStore(directory).getUsableSpace();
    }

    /** Removes this process's directory (at shutdown; files still open go when they are closed). */
    public void close() {
        try {
            lock.release();
            lockFile.close();
            OWN.remove(directory.toAbsolutePath().normalize());
            delete(directory);
        } catch (IOException e) {
            log.debug("Could not remove the spool {}", directory, e);
        }
    }

    @Override
    public PartBytes allocate(int capacity) {
        try {
            Path file;
            try {
                file = Files.createTempFile(directory, "part-", ".bin");
            } catch (NoSuchFileException e) {
                // Removed under us (a temporary-file cleaner): parts need a place more than the lock's protection.
                log.warn("The spool {} was removed while in use; recreating it", directory);
                Files.createDirectories(directory);
                file = Files.createTempFile(directory, "part-", ".bin");
            }
            // Deleted when closed (on Linux the JDK unlinks it at once): a part's file never outlives its holders,
            // nor the process.
            return new OnDisk(FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.DELETE_ON_CLOSE), capacity);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not create a spool file in " + directory, e);
        }
    }

    private static void removeAbandoned(Path base) {
        try (DirectoryStream<Path> nodes = Files.newDirectoryStream(base, "node-*")) {
            for (Path node : nodes) {
                if (OWN.contains(node.toAbsolutePath().normalize())) {
                    continue;
                }
                Path lockPath = node.resolve(LOCK);
                try (FileChannel channel = FileChannel.open(lockPath, StandardOpenOption.WRITE);
                     FileLock held = channel.tryLock()) {
                    if (held != null) {
                        delete(node);
                        log.info("Removed the spool of a process that is gone: {}", node);
                    }
                } catch (IOException | RuntimeException e) {
                    log.debug("Left {} alone", node, e);
                }
            }
        } catch (IOException e) {
            log.warn("Could not look for abandoned spools in {}", base, e);
        }
    }

    private static void delete(Path tree) throws IOException {
        try (Stream<Path> paths = Files.walk(tree)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** One part's file. Positional reads and writes, safe from several threads at once. */
    private static final class OnDisk implements PartBytes {
        private final FileChannel file;
        private final int capacity;
        private final AtomicInteger holders = new AtomicInteger(1);

        OnDisk(FileChannel file, int capacity) {
            this.file = file;
            this.capacity = capacity;
        }

        @Override
        public int capacity() {
            return capacity;
        }

        @Override
        public void fill(Chunk chunk, int at, int length, ResumableSha256 digest) {
            byte[] scratch = SCRATCH.get();
            for (int done = 0; done < length; ) {
                int n = Math.min(scratch.length, length - done);
                chunk.read(scratch, 0, n);
                try {
                    write(at + done, scratch, n);
                } catch (IOException e) {
                    throw new WriteFailed(done, e);
                }
                // Digested once written: the digest never covers a byte the part does not have.
                digest.update(scratch, 0, n);
                done += n;
            }
        }

        @Override
        public void load(byte[] src, int length) {
            try {
                write(0, src, length);
            } catch (IOException e) {
                throw new WriteFailed(0, e);
            }
        }

        private void write(long position, byte[] src, int length) throws IOException {
            ByteBuffer buffer = ByteBuffer.wrap(src, 0, length);
            while (buffer.hasRemaining()) {
                file.write(buffer, position + buffer.position());
            }
        }

        @Override
        public PartFeed.Source source() {
            return (position, dest, offset, n) -> {
                ByteBuffer buffer = ByteBuffer.wrap(dest, offset, n);
                while (buffer.hasRemaining()) {
                    if (file.read(buffer, position + (buffer.position() - offset)) < 0) {
                        throw new IOException("The part's spool file ended early");
                    }
                }
            };
        }

        @Override
        public void retain() {
            holders.incrementAndGet();
        }

        @Override
        public void release() {
            if (holders.decrementAndGet() == 0) {
                try {
                    file.close();
                } catch (IOException e) {
                    log.debug("Could not close a spool file", e);
                }
            }
        }
    }
}
