import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.UploadEvent;
import dev.relay.api.wire.UploadInfo;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Several uploads at once, each on a connection of its own (as separate clients would): aggregate throughput, and
 * the service's memory per active and per paused upload.
 */
final class Concurrent {

    private static final Duration TIMEOUT = Duration.ofMinutes(30);
    /** A verb (create, limit, pause, cancel) answers in well under a second: a stuck one fails the run soon. */
    private static final Duration VERB_TIMEOUT = Duration.ofMinutes(1);

    private Concurrent() {
    }

    /** Uploads {@code file} {@code n} times at once; returns the aggregate MB/s (all bytes / wall time). */
    static double throughput(URI ws, String token, Path file, String sha256, int n) throws Exception {
        List<RelayClient> clients = connect(ws, token, n);
        // Threads of our own for the blocking uploads: never block a shared Reactor scheduler.
        ExecutorService threads = Executors.newFixedThreadPool(n);
        try {
            long size = Files.size(file);
            long started = System.nanoTime();
            List<Future<Double>> uploads = new ArrayList<>();
            for (RelayClient client : clients) {
                uploads.add(threads.submit(() -> Uploads.relay(client, file, sha256)));
            }
            for (Future<Double> upload : uploads) {
                upload.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            return n * size / seconds / 1e6;
        } finally {
            threads.shutdownNow();
            clients.forEach(RelayClient::close);
        }
    }

    /**
     * Live heap per active upload: {@code n} uploads held at a low rate cap (so they stay in the middle of a part),
     * live heap measured after a full GC, minus the live heap before. Returns MiB per upload and records RSS too.
     */
    static double memoryPerActive(URI ws, String token, Path file, String sha256, int n, ServiceMemory memory,
                                  Results results) throws Exception {
        double before = memory.liveHeapMiB();
        double rssBefore = memory.rssMiB();
        List<RelayClient> clients = connect(ws, token, n);
        List<reactor.core.Disposable> writes = new ArrayList<>();
        try {
            long size = Files.size(file);
            List<UploadTicket> tickets = new ArrayList<>();
            List<Mono<UploadEvent>> receiving = new ArrayList<>();
            for (RelayClient client : clients) {
                UploadTicket ticket = client.createUpload(new CreateUploadRequest("active.bin", size,
                        "application/octet-stream", sha256)).block(VERB_TIMEOUT);
                // 2 MB/s: each upload keeps receiving (buffers in use) for as long as the measurement takes.
                client.limit(ticket.id(), 2_000_000L).block(VERB_TIMEOUT);
                tickets.add(ticket);
                reactor.core.publisher.Sinks.One<UploadEvent> started = reactor.core.publisher.Sinks.one();
                writes.add(client.write(ticket.id(), 0, FileTransfers.read(file, 0, ticket.maxChunkBytes()))
                        .subscribe(e -> {
                            if (e.received() >= 1 << 20) {
                                started.tryEmitValue(e);
                            }
                        }, started::tryEmitError));
                receiving.add(started.asMono());
            }
            // Every upload has received a MiB: its part buffer is allocated and filling.
            Flux.concat(receiving).blockLast(TIMEOUT);
            Thread.sleep(3000);
            double during = memory.liveHeapMiB();
            double rssDuring = memory.rssMiB();
            results.add("memory.active" + n + ".heapMiB", during - before);
            results.add("memory.active" + n + ".rssMiB", rssDuring - rssBefore);
            for (int i = 0; i < n; i++) {
                clients.get(i).cancel(tickets.get(i).id()).onErrorResume(e -> Mono.empty()).block(VERB_TIMEOUT);
            }
            return (during - before) / n;
        } finally {
            writes.forEach(reactor.core.Disposable::dispose);
            clients.forEach(RelayClient::close);
        }
    }

    /**
     * Live heap per paused upload: {@code n} uploads whose write channels stay open, each paused after its first
     * chunks arrived (the session stages its partial part and hibernates). Channels share {@code connections}
     * connections. Returns KiB per paused upload.
     */
    static double memoryPerPaused(URI ws, String token, Path file, String sha256, int n, int connections,
                                  ServiceMemory memory, Results results) throws Exception {
        double before = memory.liveHeapMiB();
        List<RelayClient> clients = connect(ws, token, connections);
        List<reactor.core.Disposable> writes = new ArrayList<>();
        List<String[]> opened = new ArrayList<>();
        try {
            long size = Files.size(file);
            Flux.range(0, n).flatMap(i -> {
                RelayClient client = clients.get(i % connections);
                return client.createUpload(new CreateUploadRequest("paused-" + i + ".bin", size,
                                "application/octet-stream", sha256))
                        .flatMap(ticket -> Mono.<UploadInfo>create(done -> {
                            synchronized (writes) {
                                opened.add(new String[]{Integer.toString(i % connections), ticket.id()});
                                writes.add(client.write(ticket.id(), 0, FileTransfers.read(file, 0,
                                                ticket.maxChunkBytes()))
                                        .filter(e -> e.type() == UploadEvent.Type.PROGRESS && e.received() > 0)
                                        .next()
                                        .flatMap(e -> client.pause(ticket.id()))
                                        .subscribe(done::success, done::error));
                            }
                        }));
            }, 32).blockLast(TIMEOUT);
            // Hibernation (staging the partial part) follows the pause asynchronously.
            Thread.sleep(5000);
            double during = memory.liveHeapMiB();
            results.add("memory.paused" + n + ".heapMiB", during - before);
            for (String[] o : opened) {
                clients.get(Integer.parseInt(o[0])).cancel(o[1]).onErrorResume(e -> Mono.empty())
                        .block(VERB_TIMEOUT);
            }
            return (during - before) * 1024 / n;
        } finally {
            writes.forEach(reactor.core.Disposable::dispose);
            clients.forEach(RelayClient::close);
        }
    }

    private static List<RelayClient> connect(URI ws, String token, int n) {
        List<RelayClient> clients = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            RelayClient client = RelayClient.connect(ws, token);
            client.me().block(VERB_TIMEOUT);
            clients.add(client);
        }
        return clients;
    }
}
