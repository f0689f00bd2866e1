package dev.relay.infra.config;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Where files are stored: an S3-compatible endpoint (MinIO in production, the embedded S3 server by default).
 *
 * @param endpoint     for example {@code http://minio:9000}
 * @param region       the bucket's region (set so the SDK never has to look it up)
 * @param createBucket   create the bucket at start-up when it does not exist
 * @param maxConnections requests to S3 in flight at once (parts of concurrent uploads, ranged reads), default 128 (half of them for parts streaming in)
 */
@ConfigurationProperties("relay.s3")
public record S3Properties(String endpoint, String accessKey, String secretKey, String bucket, String region,
                           boolean createBucket, Integer maxConnections) {

    public S3Properties {
        if (bucket == null || bucket.isBlank()) {
            bucket = "relay";
        }
        if (region == null || region.isBlank()) {
            region = "us-east-1";
        }
        if (maxConnections == null || maxConnections < 1) {
            maxConnections = 128;
        }
    }
}
