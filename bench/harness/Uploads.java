import dev.relay.api.UploadState;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.messages.Item;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The ways the same file reaches the same S3 server. Each method uploads once and returns the seconds it took. */
final class Uploads {

    private static final Pattern TUS_RESULT = Pattern.compile("bytes=(\\d+) seconds=([0-9.]+)");

    private Uploads() {
    }

    /**
     * Through Relay: create the upload, then write it with the client's resumable upload until COMPLETED. The
     * SHA-256 the create request declares is computed beforehand, outside the timing: it is the caller's work,
     * not the transfer's.
     */
    static double relay(RelayClient client, Path file, String sha256) throws IOException {
        return timedRelay(client, file, sha256).seconds();
    }

    /** Uploads through Relay and returns the new file's id. */
    static String relayId(RelayClient client, Path file, String sha256) throws IOException {
        return timedRelay(client, file, sha256).id();
    }

    record Timed(String id, double seconds) {
    }

    private static Timed timedRelay(RelayClient client, Path file, String sha256) throws IOException {
        AtomicInteger channels = new AtomicInteger();
        long size = Files.size(file);
        long started = System.nanoTime();
        UploadTicket ticket = client.createUpload(new CreateUploadRequest(file.getFileName().toString(), size,
                "application/octet-stream", sha256)).block();
        UploadInfo done = new FileTransfers(client)
                .resume(ticket.id(), file, ticket.maxChunkBytes(), event -> {
                    if (event.type() == UploadEvent.Type.STARTED) {
                        channels.incrementAndGet();
                    }
                })
                .block();
        double seconds = (System.nanoTime() - started) / 1e9;
        if (done == null || done.state() != UploadState.COMPLETED) {
            throw new IllegalStateException("Relay upload " + ticket.id() + " ended as " + done);
        }
        // FileTransfers retries silently; a second write channel means the timing includes a failure and a resume.
        if (channels.get() != 1) {
            System.err.println("WARNING: Relay upload " + ticket.id() + " needed " + channels.get()
                    + " write channels (a retry happened during the measurement)");
        }
        return new Timed(ticket.id(), seconds);
    }

    /** The storage limit: the MinIO SDK's own multipart upload of the file, parts sent one after another. */
    static double direct(MinioClient minio, String bucket, Path file, long partSize) throws Exception {
        long size = Files.size(file);
        long started = System.nanoTime();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
            minio.putObject(PutObjectArgs.builder().bucket(bucket).object("direct-" + partSize + ".bin")
                    .stream(in, size, partSize).contentType("application/octet-stream").build());
        }
        return (System.nanoTime() - started) / 1e9;
    }

    /** The peer: tus-js-client in its own Node process against the tus server; the client times itself. */
    static double tus(Path uploadScript, String endpoint, Path file) throws IOException, InterruptedException {
        Process node = new ProcessBuilder("node", uploadScript.toString(), endpoint, file.toString())
                .redirectErrorStream(true)
                .start();
        node.getOutputStream().close();
        String output = new String(node.getInputStream().readAllBytes());
        if (!node.waitFor(10, TimeUnit.MINUTES) || node.exitValue() != 0) {
            throw new IllegalStateException("tus upload failed:\n" + output);
        }
        Matcher m = TUS_RESULT.matcher(output);
        if (!m.find() || Long.parseLong(m.group(1)) != Files.size(file)) {
            throw new IllegalStateException("Unexpected output of the tus client:\n" + output);
        }
        return Double.parseDouble(m.group(2));
    }

    /** Deletes every object, so that a long run does not fill the disk with copies of the test file. */
    static void emptyBucket(MinioClient minio, String bucket) throws Exception {
        List<String> names = new ArrayList<>();
        for (Result<Item> item : minio.listObjects(ListObjectsArgs.builder().bucket(bucket).recursive(true).build())) {
            names.add(item.get().objectName());
        }
        for (String name : names) {
            minio.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(name).build());
        }
    }
}
