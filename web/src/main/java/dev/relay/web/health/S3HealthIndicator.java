package dev.relay.web.health;

import io.minio.BucketExistsArgs;
import io.minio.MinioAsyncClient;
import okhttp3.Dispatcher;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.ReactiveHealthIndicator;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import java.time.Duration;

/**
 * S3 is reachable and the bucket exists: one HEAD Bucket request, answered within {@code timeout} or DOWN. It goes
 * through a copy of the service's client (same endpoint, credentials and connection pool) with its own timeout and
 * dispatcher: the service's client waits up to 5 minutes per call, and its dispatcher may be full of parts under
 * load, which must not make a busy node look unready.
 */
final class S3HealthIndicator implements ReactiveHealthIndicator {

    private final MinioAsyncClient probe;
    private final BucketExistsArgs bucket;
    private final Duration timeout;

    S3HealthIndicator(MinioAsyncClient client, String bucket, Duration timeout) {
        this.probe = new ProbeClient(client, timeout);
        this.bucket = BucketExistsArgs.builder().bucket(bucket).build();
        this.timeout = timeout;
    }

    @Override
    public Mono<Health> health() {
        return Mono.defer(() -> {
                    try {
                        return Mono.fromFuture(probe.bucketExists(bucket));
                    } catch (Exception e) {
                        return Mono.error(e);
                    }
                })
                // The SDK builds and signs the request on the calling thread: not on an event loop.
                .subscribeOn(Schedulers.boundedElastic())
                .timeout(timeout)
                .map(exists -> exists ? Health.up().build()
                        : Health.down().withDetail("bucket", "missing").build())
                .onErrorResume(e -> Mono.just(Health.down(e).build()));
    }

    /** The service's client with a call timeout and a dispatcher of its own (the copy shares nothing else mutable). */
    private static final class ProbeClient extends MinioAsyncClient {

        ProbeClient(MinioAsyncClient client, Duration timeout) {
            super(client);
            httpClient = httpClient.newBuilder().dispatcher(new Dispatcher()).callTimeout(timeout).build();
        }
    }
}
