package dev.relay.streaming.testing;

import dev.relay.streaming.TransferSettings;
import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.PartFeed;
import dev.relay.streaming.port.StorageUnavailableException;
import dev.relay.streaming.port.StreamedPartUpload;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * An {@link ObjectStore} in memory that behaves like S3 where the engine can tell: multipart uploads with ids, parts
 * replaced when sent again, completion that checks part numbers, ETags (hex MD5) and S3's 5 MiB minimum for all but
 * the last part, and errors by S3's codes ({@link S3Exception}). It is a little stricter than S3Proxy, as S3 is: a
 * part for an unknown upload fails (NoSuchUpload), and parts must be named in ascending order (InvalidPartOrder).
 *
 * <p>No call blocks its caller: a call takes effect when subscribed to (or when released, see {@link #hold}) and
 * completes on another thread ({@code completions}, bounded-elastic by default). A streamed part reads its
 * {@link PartFeed} on a thread of its own and fails, like the real client, when the feed is abandoned or brings no
 * byte for {@link #feedIdleTimeout} (10 s by default).
 *
 * <p>Test controls (thread-safe): {@link #unavailable}, {@link #failNext}, {@link #hold}/{@link #release}, and
 * {@link #calls}, {@link #parts}, {@link #object}, {@link #pendingUploads} to look inside.
 */
public final class InMemoryObjectStore implements ObjectStore, StreamedPartUpload {

    /** The kinds of call, for the test controls. */
    public enum Op {
        CREATE_MULTIPART, UPLOAD_PART,
        /**
         * {@link StreamedPartUpload#uploadPart}: fails at once during an outage; otherwise reads the whole feed first,
         * then is held, fails or takes effect like any other call.
         */
        UPLOAD_PART_STREAMED,
        COMPLETE_MULTIPART, ABORT_MULTIPART, LIST_PARTS, LIST_MULTIPART, PUT_OBJECT, GET_OBJECT, READ, OBJECT_SIZE,
        DELETE_OBJECT
    }

    /** A failure S3 answers with an error code (a 4xx): not an outage, retrying does not help. */
    public static final class S3Exception extends RuntimeException {
        private final String code;

        public S3Exception(String code, String message) {
            super(code + ": " + message);
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    private static final long MIN_PART_BYTES = TransferSettings.MIN_PART_BYTES;
    private static final int MAX_PART_NUMBER = 10_000;

    private final CallControls<Op> controls;
    private final Clock clock;
    private final Map<String, Multipart> uploads = new LinkedHashMap<>();
    private final Map<String, byte[]> objects = new HashMap<>();
    private volatile Duration feedIdleTimeout = Duration.ofSeconds(10);

    public InMemoryObjectStore() {
        this(Schedulers.boundedElastic(), Clock.systemUTC());
    }

    /**
     * @param completions where results are delivered ({@code Schedulers.immediate()}: on the subscribing thread, or
     *                    on the releasing one for a held call)
     * @param clock       the initiation time of multipart uploads
     */
    public InMemoryObjectStore(Scheduler completions, Clock clock) {
        this.controls = new CallControls<>(Op.class, "S3", completions);
        this.clock = clock;
    }

    // ---- ObjectStore ----------------------------------------------------------------------------------------------

    @Override
    public Mono<String> createMultipartUpload(String key, String contentType) {
        return controls.mono(Op.CREATE_MULTIPART, () -> {
            String id = UUID.randomUUID().toString();
            synchronized (this) {
                uploads.put(id, new Multipart(key, id, clock.instant(), new TreeMap<>()));
            }
            return id;
        });
    }

    @Override
    public Mono<String> uploadPart(String key, String uploadId, int partNumber, byte[] data, int length) {
        // The bytes are taken when the request starts, as the real client sends them.
        return Mono.defer(() -> {
            byte[] bytes = Arrays.copyOf(data, length);
            return controls.mono(Op.UPLOAD_PART, () -> storePart(key, uploadId, partNumber, bytes));
        });
    }

    @Override
    public Mono<String> uploadPart(String key, String uploadId, int partNumber, PartFeed feed) {
        return Mono.defer(() -> {
            controls.count(Op.UPLOAD_PART_STREAMED);
            if (controls.isUnavailable()) {
                return Mono.<String>error(controls.outage());
            }
            return Mono.fromCallable(() -> receive(feed))
                    .subscribeOn(Schedulers.boundedElastic())
                    .flatMap(bytes -> controls.admit(Op.UPLOAD_PART_STREAMED).then(Mono.defer(() -> {
                        Throwable failure = controls.failure(Op.UPLOAD_PART_STREAMED);
                        return failure != null ? Mono.<String>error(failure)
                                : Mono.fromCallable(() -> storePart(key, uploadId, partNumber, bytes));
                    })));
        }).publishOn(controls.completions());
    }

    /** Copies the part's bytes as they arrive, as the real client sends them; runs on a thread of its own. */
    private byte[] receive(PartFeed feed) {
        byte[] bytes = new byte[feed.length()];
        long idle = feedIdleTimeout.toMillis();
        int received = 0;
        try {
            while (received < feed.length()) {
                int available = feed.awaitAvailable(received + 1, idle, TimeUnit.MILLISECONDS);
                feed.read(received, bytes, received, available - received);
                received = available;
            }
        } catch (IOException e) {
            // As the real adapter reports a request whose body failed: the part may be sent again whole.
            throw new StorageUnavailableException("S3 is unavailable: " + e, e);
        }
        return bytes;
    }

    private synchronized String storePart(String key, String uploadId, int partNumber, byte[] bytes) {
        if (partNumber < 1 || partNumber > MAX_PART_NUMBER) {
            throw new S3Exception("InvalidArgument", "Part number must be between 1 and 10000");
        }
        Multipart upload = upload(key, uploadId);
        String etag = md5(bytes);
        upload.parts().put(partNumber, new Part(bytes, etag));
        return etag;
    }

    @Override
    public Mono<Void> completeMultipartUpload(String key, String uploadId, List<StoredPart> parts) {
        return controls.mono(Op.COMPLETE_MULTIPART, () -> {
            if (parts == null || parts.isEmpty()) {
                throw new IllegalArgumentException("null or empty parts"); // as the MinIO SDK, before any request
            }
            synchronized (this) {
                Multipart upload = upload(key, uploadId);
                int previous = 0;
                long total = 0;
                for (int i = 0; i < parts.size(); i++) {
                    StoredPart named = parts.get(i);
                    if (named.number() <= previous) {
                        throw new S3Exception("InvalidPartOrder", "The list of parts was not in ascending order");
                    }
                    previous = named.number();
                    Part part = upload.parts().get(named.number());
                    if (part == null || !part.etag().equals(unquoted(named.etag()))) {
                        throw new S3Exception("InvalidPart", "Part " + named.number() + " was not uploaded or its"
                                + " entity tag does not match");
                    }
                    if (i < parts.size() - 1 && part.data().length < MIN_PART_BYTES) {
                        throw new S3Exception("EntityTooSmall", "Part " + named.number() + " is smaller than 5 MiB"
                                + " and not the last");
                    }
                    total += part.data().length;
                }
                byte[] object = new byte[Math.toIntExact(total)];
                int at = 0;
                for (StoredPart named : parts) {
                    byte[] data = upload.parts().get(named.number()).data();
                    System.arraycopy(data, 0, object, at, data.length);
                    at += data.length;
                }
                objects.put(key, object);
                uploads.remove(uploadId);
            }
            return null;
        });
    }

    @Override
    public Mono<Void> abortMultipartUpload(String key, String uploadId) {
        return controls.mono(Op.ABORT_MULTIPART, () -> {
            synchronized (this) {
                Multipart upload = uploads.get(uploadId);
                if (upload != null && upload.key().equals(key)) {
                    uploads.remove(uploadId);
                }
            }
            return null;
        });
    }

    @Override
    public Flux<ListedPart> listParts(String key, String uploadId) {
        return controls.flux(Op.LIST_PARTS, () -> {
            List<ListedPart> listed = new ArrayList<>();
            synchronized (this) {
                upload(key, uploadId).parts().forEach((number, part) ->
                        listed.add(new ListedPart(number, part.etag(), part.data().length)));
            }
            return Flux.fromIterable(listed).publishOn(controls.completions());
        });
    }

    @Override
    public Flux<PendingMultipart> listMultipartUploads(String prefix) {
        return controls.flux(Op.LIST_MULTIPART, () -> Flux.fromIterable(pending(prefix))
                .publishOn(controls.completions()));
    }

    @Override
    public Mono<Void> putObject(String key, byte[] data, int length, String contentType) {
        return Mono.defer(() -> {
            byte[] bytes = Arrays.copyOf(data, length);
            return controls.mono(Op.PUT_OBJECT, () -> {
                synchronized (this) {
                    objects.put(key, bytes);
                }
                return null;
            });
        });
    }

    @Override
    public Mono<byte[]> getObjectBytes(String key, int maxBytes) {
        return controls.mono(Op.GET_OBJECT, () -> {
            byte[] object = existing(key);
            return Arrays.copyOf(object, Math.min(object.length, maxBytes));
        });
    }

    @Override
    public Flux<ByteBuffer> read(String key, long offset, long length, int chunkBytes) {
        return controls.flux(Op.READ, () -> {
            if (length == 0) {
                return Flux.empty(); // as the adapter: nothing to read, no request
            }
            byte[] object = existing(key);
            if (offset < 0 || length < 0 || offset + length > object.length) {
                return Flux.error(new S3Exception("InvalidRange", "The requested range is not satisfiable"));
            }
            long end = offset + length;
            // generate emits one chunk per request: nothing is read ahead of demand.
            return Flux.<ByteBuffer, Long>generate(() -> offset, (position, sink) -> {
                if (position >= end) {
                    sink.complete();
                    return position;
                }
                int size = (int) Math.min(chunkBytes, end - position);
                sink.next(ByteBuffer.wrap(Arrays.copyOfRange(object, (int) (long) position,
                        (int) (position + size))));
                return position + size;
            }).subscribeOn(controls.completions());
        });
    }

    @Override
    public Mono<Optional<Long>> objectSize(String key) {
        return controls.mono(Op.OBJECT_SIZE, () -> {
            synchronized (this) {
                byte[] object = objects.get(key);
                return object == null ? Optional.<Long>empty() : Optional.of((long) object.length);
            }
        });
    }

    @Override
    public Mono<Void> deleteObject(String key) {
        return controls.mono(Op.DELETE_OBJECT, () -> {
            synchronized (this) {
                objects.remove(key);
            }
            return null;
        });
    }

    // ---- test controls ----------------------------------------------------------------------------------------------

    /** Outages, failures, holds and call counts of this fixture's calls, by kind. */
    public CallControls<Op> controls() {
        return controls;
    }

    /** How long a streamed part waits for its next bytes before it fails. */
    public void feedIdleTimeout(Duration timeout) {
        this.feedIdleTimeout = timeout;
    }

    /** The stored parts of a multipart upload in progress, by number (copies); empty if there is no such upload. */
    public synchronized SortedMap<Integer, byte[]> parts(String uploadId) {
        SortedMap<Integer, byte[]> copy = new TreeMap<>();
        Multipart upload = uploads.get(uploadId);
        if (upload != null) {
            upload.parts().forEach((number, part) -> copy.put(number, part.data().clone()));
        }
        return copy;
    }

    /** The object's bytes (a copy), or null if there is none. */
    public synchronized byte[] object(String key) {
        byte[] object = objects.get(key);
        return object == null ? null : object.clone();
    }

    /** Every multipart upload in progress. */
    public List<PendingMultipart> pendingUploads() {
        return pending("");
    }

    // ---- internals ----------------------------------------------------------------------------------------------

    private synchronized List<PendingMultipart> pending(String prefix) {
        return uploads.values().stream()
                .filter(u -> u.key().startsWith(prefix))
                .sorted(Comparator.comparing(Multipart::key).thenComparing(Multipart::initiated))
                .map(u -> new PendingMultipart(u.key(), u.id(), u.initiated()))
                .toList();
    }

    private Multipart upload(String key, String uploadId) {
        Multipart upload = uploads.get(uploadId);
        if (upload == null || !upload.key().equals(key)) {
            throw new S3Exception("NoSuchUpload", "The specified multipart upload does not exist");
        }
        return upload;
    }

    private synchronized byte[] existing(String key) {
        byte[] object = objects.get(key);
        if (object == null) {
            throw new S3Exception("NoSuchKey", "The specified key does not exist");
        }
        return object;
    }

    private static String unquoted(String etag) {
        return etag != null && etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")
                ? etag.substring(1, etag.length() - 1) : etag;
    }

    private static String md5(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Multipart(String key, String id, Instant initiated, SortedMap<Integer, Part> parts) {
    }

    private record Part(byte[] data, String etag) {
    }
}
