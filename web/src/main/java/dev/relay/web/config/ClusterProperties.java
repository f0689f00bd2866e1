package dev.relay.web.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * {@code relay.cluster.*}: several nodes behind a load balancer, on one database, one S3 bucket and Redis
 * ({@code spring.data.redis.*}). Off (the default), the node is alone and never contacts Redis.
 *
 * @param enabled               user events and upload commands go through Redis pub/sub
 * @param nodeId                this node's id (default: a new one at each start)
 * @param reconcileInterval     how often a node re-reads the state of the uploads whose channels it holds, so a
 *                              pause, resume or end decided on another node arrives even without Redis
 * @param positionCheckInterval how often each event stream compares its position with the event log, so an event
 *                              the bus lost (the last one, with nothing after it to show the gap) still arrives;
 *                              on a single node too
 */
@ConfigurationProperties("relay.cluster")
public record ClusterProperties(@DefaultValue("false") boolean enabled,
                                String nodeId,
                                @DefaultValue("2s") Duration reconcileInterval,
                                @DefaultValue("5s") Duration positionCheckInterval) {
}
