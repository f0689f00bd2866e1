package dev.relay.web.health;

import io.minio.MinioAsyncClient;
import io.r2dbc.spi.ConnectionFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.ReactiveHealthIndicator;
import org.springframework.boot.actuate.r2dbc.ConnectionFactoryHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.publisher.Mono;

import java.time.Duration;

/**
 * The storage checks of the readiness group (application.yml): {@code r2dbc} and {@code s3}. A node whose database
 * or S3 is unreachable answers 503 on {@code /actuator/health/readiness}, so a load balancer sends new connections
 * elsewhere; liveness ignores both (a restart would not bring them back).
 */
@Configuration(proxyBeanMethods = false)
class HealthConfiguration {

    /** Under the load balancer's check timeout (deploy/haproxy.cfg: 3s), so a hung store reads as DOWN, not as a dead node. */
    static final Duration TIMEOUT = Duration.ofSeconds(2);

    @Bean
    ReactiveHealthIndicator s3HealthIndicator(MinioAsyncClient client,
                                              @Value("${relay.s3.bucket:relay}") String bucket) {
        return new S3HealthIndicator(client, bucket, TIMEOUT);
    }

    /**
     * Boot's R2DBC indicator (this bean's name replaces the auto-configured one) with a timeout: neither the pool nor
     * the driver bounds how long acquiring a connection to an unanswering database may take.
     */
    @Bean
    ReactiveHealthIndicator r2dbcHealthIndicator(ConnectionFactory connectionFactory) {
        ReactiveHealthIndicator boot = new ConnectionFactoryHealthIndicator(connectionFactory);
        return () -> boot.health().timeout(TIMEOUT, Mono.fromSupplier(() -> Health.down()
                .withDetail("error", "no answer within " + TIMEOUT.toSeconds() + "s").build()));
    }
}
