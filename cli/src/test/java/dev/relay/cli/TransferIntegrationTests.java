package dev.relay.cli;

import dev.relay.api.UploadState;
import dev.relay.api.wire.UploadInfo;
import dev.relay.cli.config.PendingUploads;
import dev.relay.cli.support.CliIntegrationTest;
import dev.relay.client.FileTransfers;
import dev.relay.infra.testing.TestFiles;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class TransferIntegrationTests extends CliIntegrationTest {

    @Test
    void aMultiPartFileIsSentAndComesBackWithTheSameSha256() throws Exception {
        Path config = registeredUser();
        String friend = registeredUser().getParent().getFileName().toString();
        Path file = TestFiles.random(12L * 1024 * 1024, 11);
        String sha = FileTransfers.sha256(file);

        Run sent = relay(config, "send", file.toString(), "--to", friend);

        assertThat(sent.exit()).as(sent.toString()).isZero();
        String id = sent.out().trim();
        assertThat(UUID.fromString(id)).isNotNull();
        // No terminal: plain progress lines, then the summary.
        assertThat(sent.err()).contains("computing the SHA-256", "sha256 " + sha + " verified by the server",
                "12.0 MiB/12.0 MiB (100.0%)", (12L * 1024 * 1024) + " bytes sent in this run, from byte 0");
        assertThat(sent.err()).doesNotContain("\r", "\u001b[");
        UploadInfo info = client(config).upload(id).block(TIMEOUT);
        assertThat(info.state()).isEqualTo(UploadState.COMPLETED);
        assertThat(info.sha256()).isEqualTo(sha);
        assertThat(new PendingUploads(config.getParent()).all()).isEmpty();

        Run listed = relay(config, "ls");
        assertThat(listed.exit()).isZero();
        assertThat(listed.out()).contains(id + "  12.0 MiB").contains(file.getFileName().toString());

        Path copy = temp.resolve("copy.bin");
        Run got = relay(config, "get", id, "-o", copy.toString());
        assertThat(got.exit()).as(got.toString()).isZero();
        assertThat(got.out().trim()).isEqualTo(copy.toString());
        assertThat(got.err()).contains("sha256 " + sha + " verified");
        assertThat(FileTransfers.sha256(copy)).isEqualTo(sha);

        // Into a directory: the file keeps its name.
        Path dir = Files.createDirectories(temp.resolve("downloads"));
        Run intoDir = relay(config, "get", id, "-o", dir.toString(), "--quiet");
        assertThat(intoDir.exit()).as(intoDir.toString()).isZero();
        assertThat(FileTransfers.sha256(dir.resolve(file.getFileName()))).isEqualTo(sha);
    }

    @Test
    void aFileSentToSomeoneCanBeFetchedByThem() throws Exception {
        Path alice = registeredUser();
        Path bob = registeredUser();
        String bobName = bob.getParent().getFileName().toString();
        Path file = TestFiles.random(300_000, 15);

        Run sent = relay(alice, "send", file.toString(), "--to", bobName, "-q");
        assertThat(sent.exit()).as(sent.toString()).isZero();

        Path copy = temp.resolve("from-alice.bin");
        Run got = relay(bob, "get", sent.out().trim(), "-o", copy.toString(), "-q");
        assertThat(got.exit()).as(got.toString()).isZero();
        assertThat(FileTransfers.sha256(copy)).isEqualTo(FileTransfers.sha256(file));
    }

    @Test
    void aRecipientTheServerRefusesIsReportedInOneLine() throws Exception {
        Path alice = registeredUser();
        Path file = TestFiles.random(1000, 16);

        Run nobody = relay(alice, "send", file.toString(), "--to", "nobody-" + newUsername().substring(0, 8));
        assertThat(nobody.exit()).as(nobody.toString()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(nobody.err().lines().reduce((a, b) -> b).orElseThrow()).startsWith("relay: NOT_FOUND: No user");

        Run self = relay(alice, "send", file.toString(), "--to", alice.getParent().getFileName().toString());
        assertThat(self.exit()).as(self.toString()).isEqualTo(ExitCodes.REJECTED);
        assertThat(self.err().lines().reduce((a, b) -> b).orElseThrow()).startsWith("relay: INVALID_REQUEST: ");
        assertThat(new PendingUploads(alice.getParent()).all()).isEmpty();
    }

    @Test
    void aPartialDownloadContinuesFromItsLength() throws Exception {
        Path config = registeredUser();
        Path file = TestFiles.random(7L * 1024 * 1024 + 123, 12);
        Run sent = relay(config, "send", file.toString(), "-q");
        assertThat(sent.exit()).as(sent.toString()).isZero();
        String id = sent.out().trim();

        Path copy = temp.resolve("partial.bin");
        long have = 3L * 1024 * 1024 + 5;
        try (InputStream in = Files.newInputStream(file); OutputStream out = Files.newOutputStream(copy)) {
            out.write(in.readNBytes((int) have));
        }
        Run got = relay(config, "get", id, "-o", copy.toString());

        assertThat(got.exit()).as(got.toString()).isZero();
        assertThat(got.err()).contains("continuing " + copy + " from 3.00 MiB (42.8%)");
        assertThat(FileTransfers.sha256(copy)).isEqualTo(FileTransfers.sha256(file));
    }

    @Test
    void aPartialDownloadOfOtherBytesFailsItsChecksumClearly() throws Exception {
        Path config = registeredUser();
        Path file = TestFiles.random(1024 * 1024, 13);
        String id = relay(config, "send", file.toString(), "-q").out().trim();
        Path copy = temp.resolve("wrong.bin");
        Files.write(copy, new byte[1000]);

        Run got = relay(config, "get", id, "-o", copy.toString(), "-q");

        assertThat(got.exit()).as(got.toString()).isEqualTo(ExitCodes.OTHER);
        assertThat(got.err().lines().reduce((a, b) -> b).orElseThrow())
                .startsWith("relay: Downloaded " + copy + " has SHA-256 ")
                .endsWith(copy + " held other data before: delete it and run `relay get` again");
    }

    @Test
    void unknownIdsExitWith4() {
        Path config = registeredUser();
        String id = UUID.randomUUID().toString();
        for (String command : new String[]{"get", "pause", "resume", "cancel"}) {
            Run run = relay(config, command, id);
            assertThat(run.exit()).as(command + ": " + run).isEqualTo(ExitCodes.NOT_FOUND);
            assertThat(run.err()).startsWith("relay: NOT_FOUND: ");
        }
    }

    @Test
    void anotherUsersFileIsNotFound() throws Exception {
        Path alice = registeredUser();
        Path bob = registeredUser();
        String id = relay(alice, "send", TestFiles.random(1000, 14).toString(), "-q").out().trim();

        Run run = relay(bob, "get", id, "-o", temp.resolve("x").toString());

        assertThat(run.exit()).as(run.toString()).isEqualTo(ExitCodes.NOT_FOUND);
    }
}
