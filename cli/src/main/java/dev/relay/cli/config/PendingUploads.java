package dev.relay.cli.config;

import com.fasterxml.jackson.core.type.TypeReference;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The pending uploads file ({@code pending-uploads.json} beside the config file). */
public final class PendingUploads {

    public static final String FILE_NAME = "pending-uploads.json";

    private final Path file;

    public PendingUploads(Path directory) {
        this.file = directory.resolve(FILE_NAME);
    }

    public Path file() {
        return file;
    }

    public synchronized List<PendingUpload> all() throws IOException {
        try {
            return new ArrayList<>(JsonFiles.MAPPER.readValue(Files.readAllBytes(file),
                    new TypeReference<List<PendingUpload>>() { }));
        } catch (NoSuchFileException e) {
            return new ArrayList<>();
        }
    }

    /** The pending upload recorded for this path on this account, if any (it may be for an older content). */
    public synchronized Optional<PendingUpload> find(String path, String server, String username) throws IOException {
        return all().stream().filter(p -> p.sameSlot(path, server, username)).findFirst();
    }

    /** Records {@code upload}, replacing any other record for the same path and account. */
    public synchronized void put(PendingUpload upload) throws IOException {
        List<PendingUpload> list = all();
        list.removeIf(p -> p.sameSlot(upload.path(), upload.server(), upload.username()));
        list.add(upload);
        JsonFiles.write(file, list);
    }

    public synchronized void removeUpload(String uploadId) throws IOException {
        List<PendingUpload> list = all();
        if (list.removeIf(p -> p.uploadId().equals(uploadId))) {
            JsonFiles.write(file, list);
        }
    }
}
