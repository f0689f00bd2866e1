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
}
