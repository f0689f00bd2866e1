package dev.relay.web.rsocket;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code relay.connections.*}: what one user or connection may hold or ask, so that one client cannot take memory,
 * database connections or other users' latency.
 *
 * @param maxPerUser        open RSocket connections of one user on one node; more are refused at SETUP
 * @param maxStreams        open request-streams and request-channels on one connection; more are refused
 * @param requestBurst      requests of any kind one user may make at once (all nodes together)
 * @param requestsPerMinute requests of any kind per user and minute after the burst
 * @param writeBurst        requests that change something (send, read markers, profile, upload verbs...) at once
 * @param writesPerMinute   such requests per user and minute after the burst
 */
@ConfigurationProperties("relay.connections")
public record ConnectionLimits(@DefaultValue("50") int maxPerUser,
                               @DefaultValue("256") int maxStreams,
                               @DefaultValue("600") int requestBurst,
                               @DefaultValue("1200") int requestsPerMinute,
                               @DefaultValue("120") int writeBurst,
                               @DefaultValue("240") int writesPerMinute) {
}
