import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What one node holds at capacity: many uploads open at once (more than its buffer budget lets receive), and many
 * idle connections each with its event stream, measured as live heap (after a full GC) and RSS added.
 */
final class Capacity {

    private static final Duration TIMEOUT = Duration.ofMinutes(10);
    /** Uploads per connection: well under the service's streams per connection (256). */
    private static final int UPLOADS_PER_CONNECTION = 50;
    /** Slow enough that a thousand uploads at once stay mid-part on two cores, fast enough to show they flow. */
    private static final long RATE_CAP = 50_000;

    private Capacity() {
    }

    /**
     * {@code n} uploads opened at once, each capped at {@link #RATE_CAP} B/s: how many receive and how many wait for
     * the node's buffer budget, and the live heap and RSS they add. Returns MiB of live heap per open upload.
     */
    static double uploadsAtOnce(URI ws, String token, Path file, String sha256, int n, ServiceMemory memory,
                                Results results) throws Exception {
        double before = memory.liveHeapMiB();
        double rssBefore = memory.rssMiB();
        int connections = (n + UPLOADS_PER_CONNECTION - 1) / UPLOADS_PER_CONNECTION;
        List<RelayClient> clients = connect(ws, token, connections);
        List<Disposable> writes = Collections.synchronizedList(new ArrayList<>());
        List<String[]> opened = Collections.synchronizedList(new ArrayList<>());
        Set<String> receiving = ConcurrentHashMap.newKeySet();
        try {
            long size = Files.size(file);
            Flux.range(0, n).flatMap(i -> {
                RelayClient client = clients.get(i % connections);
                return client.createUpload(new CreateUploadRequest("open-" + i + ".bin", size,
                                "application/octet-stream", sha256))
                        .flatMap(ticket -> client.limit(ticket.id(), RATE_CAP).thenReturn(ticket))
                        .doOnNext(ticket -> {
                            opened.add(new String[]{Integer.toString(i % connections), ticket.id()});
                            writes.add(client.write(ticket.id(), 0, FileTransfers.read(file, 0,
                                            ticket.maxChunkBytes()))
                                    .filter(e -> e.received() > 0)
                                    .subscribe(e -> receiving.add(ticket.id()), e -> { }));
                        });
            }, 32).blockLast(TIMEOUT);
            // Long enough for every upload that gets credit to receive its first chunks at the rate cap.
            Thread.sleep(10_000);
            double during = memory.liveHeapMiB();
            double rssDuring = memory.rssMiB();
            results.add("capacity.open" + n + ".heapMiB", during - before);
            results.add("capacity.open" + n + ".rssMiB", rssDuring - rssBefore);
            results.add("capacity.open" + n + ".receiving", receiving.size());
            for (String[] o : List.copyOf(opened)) {
                clients.get(Integer.parseInt(o[0])).cancel(o[1]).onErrorResume(e -> Mono.empty())
                        .block(Duration.ofMinutes(1));
            }
            return (during - before) / n;
        } finally {
            List.copyOf(writes).forEach(Disposable::dispose);
            clients.forEach(RelayClient::close);
        }
    }

    /**
     * {@code n} idle connections, each with its {@code events} stream open (as every browser tab has): live heap and
     * RSS added per connection. Returns KiB of live heap per connection.
     */
    static double idleConnections(URI ws, String token, int n, ServiceMemory memory, Results results)
            throws Exception {
        double before = memory.liveHeapMiB();
        double rssBefore = memory.rssMiB();
        List<RelayClient> clients = Collections.synchronizedList(new ArrayList<>());
        List<Disposable> streams = Collections.synchronizedList(new ArrayList<>());
        try {
            long started = System.nanoTime();
            Flux.range(0, n).flatMap(i -> Mono.fromCallable(() -> RelayClient.connect(ws, token))
                    .flatMap(client -> {
                        clients.add(client);
                        return client.me().doOnNext(me -> streams.add(client.events(null).subscribe(e -> { },
                                e -> { })));
                    }), 64).blockLast(TIMEOUT);
            double connectSeconds = (System.nanoTime() - started) / 1e9;
            // The last streams' requests reach the service after their connections' first answers.
            Thread.sleep(3000);
            double during = memory.liveHeapMiB();
            double rssDuring = memory.rssMiB();
            results.add("capacity.idle" + n + ".heapMiB", during - before);
            results.add("capacity.idle" + n + ".rssMiB", rssDuring - rssBefore);
            results.add("capacity.idle" + n + ".connectSeconds", connectSeconds);
            return (during - before) * 1024 / n;
        } finally {
            List.copyOf(streams).forEach(Disposable::dispose);
            List.copyOf(clients).forEach(RelayClient::close);
        }
    }

    private static List<RelayClient> connect(URI ws, String token, int n) {
        List<RelayClient> clients = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            RelayClient client = RelayClient.connect(ws, token);
            client.me().block(Duration.ofMinutes(1));
            clients.add(client);
        }
        return clients;
    }
}
