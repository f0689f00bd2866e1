package dev.relay.cli.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class PendingUploadsTests {

    @TempDir
    Path temp;

    private static PendingUpload pending(String path, String id, String server, String user) {
        return new PendingUpload(path, 100, 5000, id, 262144, server, user, Instant.parse("2030-01-01T00:00:00Z"));
    }

    @Test
    void anUploadIsFoundByPathServerAndUser() throws Exception {
        PendingUploads uploads = new PendingUploads(temp);
        uploads.put(pending("/a/file", "id1", "http://s", "alice"));
        uploads.put(pending("/a/file", "id2", "http://s", "bob"));
        uploads.put(pending("/a/file", "id3", "http://other", "alice"));

        PendingUploads reopened = new PendingUploads(temp);
        assertThat(reopened.find("/a/file", "http://s", "alice")).map(PendingUpload::uploadId).contains("id1");
        assertThat(reopened.find("/a/file", "http://s", "bob")).map(PendingUpload::uploadId).contains("id2");
        assertThat(reopened.find("/a/file", "http://other", "alice")).map(PendingUpload::uploadId).contains("id3");
        assertThat(reopened.find("/a/other", "http://s", "alice")).isEmpty();
        assertThat(reopened.all().get(0)).isEqualTo(pending("/a/file", "id1", "http://s", "alice"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(uploads.file()))).isEqualTo("rw-------");
    }

    @Test
    void aNewUploadForTheSameFileReplacesTheOldRecord() throws Exception {
        PendingUploads uploads = new PendingUploads(temp);
        uploads.put(pending("/a/file", "old", "http://s", "alice"));
        uploads.put(pending("/a/file", "new", "http://s", "alice"));

        assertThat(uploads.all()).extracting(PendingUpload::uploadId).containsExactly("new");
        uploads.removeUpload("new");
        assertThat(uploads.all()).isEmpty();
        uploads.removeUpload("never-there");
    }

    @Test
    void aFileCountsAsUnchangedOnlyWithTheSameSizeAndModificationTime() {
        PendingUpload upload = pending("/f", "id", "http://s", "a");
        assertThat(upload.unchanged(100, 5000)).isTrue();
        assertThat(upload.unchanged(101, 5000)).isFalse();
        assertThat(upload.unchanged(100, 5001)).isFalse();
    }
}
