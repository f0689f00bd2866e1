package dev.relay.infra.config;

import dev.relay.infra.s3.MinioObjectStore;
import dev.relay.streaming.port.ObjectStore;
import io.minio.BucketExistsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioAsyncClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

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
        MinioAsyncClient client = MinioAsyncClient.builder()
                .endpoint(s3.endpoint())
                .region(s3.region())
                .credentials(s3.accessKey(), s3.secretKey())
                .build();
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

    @Bean
    @ConditionalOnMissingBean
    ObjectStore objectStore(MinioAsyncClient client, S3Properties s3) {
        return new MinioObjectStore(client, s3.bucket());
    }
}
