package dev.relay.infra.config;

import dev.relay.infra.s3.MinioObjectStore;
import dev.relay.infra.s3.PartUploadMinioClient;
import dev.relay.streaming.port.ObjectStore;
import io.minio.BucketExistsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioAsyncClient;
import io.minio.http.HttpUtils;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

import java.util.concurrent.TimeUnit;

/** The S3 adapter: a MinIO SDK client for {@code relay.s3.*} and the {@link ObjectStore} on it. */
@AutoConfiguration
@EnableConfigurationProperties(S3Properties.class)
public class S3AutoConfiguration {

    private static final Logger log = LoggerFactory.getLogger(S3AutoConfiguration.class);

    @Bean
    @ConditionalOnMissingBean
    MinioAsyncClient minioAsyncClient(S3Properties s3) throws Exception {
        if (s3.endpoint() == null || s3.endpoint().isBlank()) {
            throw new IllegalStateException("relay.s3.endpoint is not set: configure RELAY_S3_ENDPOINT (and the"
                    + " access and secret keys), or run with the embedded defaults (relay.embedded.enabled=true).");
        }
        MinioAsyncClient client = new PartUploadMinioClient(MinioAsyncClient.builder()
                .endpoint(s3.endpoint())
                .region(s3.region())
                .credentials(s3.accessKey(), s3.secretKey())
                .httpClient(httpClient(s3.maxConnections()))
                .build());
        // Start-up is the one place where waiting is fine: fail fast with a clear message if S3 is unreachable.
        boolean exists = client.bucketExists(BucketExistsArgs.builder().bucket(s3.bucket()).build()).get();
        if (!exists) {
            if (!s3.createBucket()) {
                throw new IllegalStateException("The bucket " + s3.bucket() + " does not exist at " + s3.endpoint()
                        + "; create it or set relay.s3.create-bucket=true.");
            }
            client.makeBucket(MakeBucketArgs.builder().bucket(s3.bucket()).build()).get();
            log.info("Created bucket {} at {}", s3.bucket(), s3.endpoint());
        }
        return client;
    }

    /**
     * The SDK's default HTTP client, with room for {@code maxConnections} requests at once: OkHttp's own default
     * of 5 per host would queue every upload's parts behind four others whatever S3 could take.
     */
    private static OkHttpClient httpClient(int maxConnections) {
        long timeout = TimeUnit.MINUTES.toMillis(5);
        Dispatcher dispatcher = new Dispatcher();
        dispatcher.setMaxRequests(maxConnections);
        dispatcher.setMaxRequestsPerHost(maxConnections);
        return HttpUtils.newDefaultHttpClient(timeout, timeout, timeout).newBuilder()
                .dispatcher(dispatcher)
                .connectionPool(new ConnectionPool(maxConnections, 5, TimeUnit.MINUTES))
                .build();
    }

    @Bean
    @ConditionalOnMissingBean
    ObjectStore objectStore(MinioAsyncClient client, S3Properties s3) {
        // Parts stream through PartUploadMinioClient; a client bean of the application's own is wrapped in one.
        return new MinioObjectStore(client instanceof PartUploadMinioClient parts ? parts
                : new PartUploadMinioClient(client), s3.bucket(), s3.maxConnections());
    }
}
