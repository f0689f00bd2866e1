package dev.relay.streaming.upload;

import dev.relay.streaming.digest.ResumableSha256;
import dev.relay.streaming.port.PartFeed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Spool files: what goes in comes back, a file outlives no holder, and a start removes only dead processes' spools. */
class PartSpoolUnitTests {

    @TempDir
    Path base;

    @Test
    void bytesWrittenInPiecesReadBackAnywhereAndTheFileGoesWithItsLastHolder() throws Exception {
        PartSpool spool = PartSpool.open(base);
        byte[] data = new byte[300_000];
        new Random(5).nextBytes(data);
        PartBytes part = spool.allocate(data.length);
        ResumableSha256 digest = ResumableSha256.create();
        // Larger than the scratch array, and across its boundaries.
        part.fill(Chunk.of(ByteBuffer.wrap(data, 0, 200_001)), 0, 200_001, digest);
        part.fill(Chunk.of(ByteBuffer.wrap(data, 200_001, data.length - 200_001)), 200_001,
                data.length - 200_001, digest);
        assertThat(digest.hex())
                .isEqualTo(HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data)));

        PartFeed feed = new PartFeed(part.source(), data.length);
        feed.advance(data.length);
        byte[] middle = new byte[70_000];
        feed.read(123_456, middle, 0, middle.length);
        assertThat(middle).isEqualTo(Arrays.copyOfRange(data, 123_456, 123_456 + middle.length));

        part.retain();
        part.release();
        assertThat(feed.readAll()).as("still held by the second holder").isEqualTo(data);
        part.release();
        assertThatThrownBy(feed::readAll).as("read after the last holder let go").isInstanceOf(IOException.class);
        spool.close();
        assertThat(Files.exists(spool.directory())).isFalse();
    }

    @Test
    void aStartRemovesTheSpoolsOfDeadProcessesAndLeavesLiveOnesAlone() throws Exception {
        PartSpool live = PartSpool.open(base);
        Path dead = Files.createDirectories(base.resolve("node-123"));
        Files.createFile(dead.resolve("lock"));
        Files.write(dead.resolve("part-1.bin"), new byte[10]);

        PartSpool next = PartSpool.open(base);
        assertThat(Files.exists(dead)).as("a spool nobody holds the lock of").isFalse();
        assertThat(Files.exists(live.directory())).as("a running node's spool").isTrue();
        assertThat(next.directory()).isNotEqualTo(live.directory());
        live.close();
        next.close();
    }

    /**
     * Two spools in one process (two application contexts, as in the tests), then another process starts: closing any
     * descriptor of a locked file drops every POSIX lock the process holds on it, so the second spool must not even
     * look at the first one's lock, or the other process takes the first for a dead one's and removes it in use.
     */
    @Test
    void anotherProcessStartingLeavesBothSpoolsOfThisOneAlone() throws Exception {
        PartSpool first = PartSpool.open(base);
        PartSpool second = PartSpool.open(base);
        Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), OtherProcess.class.getName(), base.toString())
                .inheritIO().start();
        assertThat(other.waitFor()).isZero();
        assertThat(Files.exists(first.directory())).as("the first spool").isTrue();
        assertThat(Files.exists(second.directory())).as("the second spool").isTrue();
        first.close();
        second.close();
    }

    /** What another node does at start (see above). */
    static final class OtherProcess {
        public static void main(String[] args) throws IOException {
            PartSpool.open(Path.of(args[0])).close();
        }
    }

    @Test
    void aSpoolRemovedWhileInUseIsMadeAgain() throws Exception {
        PartSpool spool = PartSpool.open(base);
        Files.delete(spool.directory().resolve("lock"));
        Files.delete(spool.directory());
        PartBytes part = spool.allocate(10);
        part.load(new byte[] {1, 2, 3}, 3);
        byte[] back = new byte[3];
        part.source().read(0, back, 0, 3);
        assertThat(back).containsExactly(1, 2, 3);
        part.release();
        spool.close();
    }
}
