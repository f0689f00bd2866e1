package dev.relay.infra.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.api.wire.UploadTelemetry;
import dev.relay.streaming.port.NodeBus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import reactor.core.publisher.Flux;

/**
 * {@link NodeBus} on Redis pub/sub: one channel per node for commands, {@code relay:<cluster>:node:<id>}, and one per
 * upload for the samples its holder publishes while another node's client watches, {@code relay:<cluster>:telemetry:<id>}.
 */
public final class RedisNodeBus implements NodeBus {

    private static final Logger log = LoggerFactory.getLogger(RedisNodeBus.class);
    private final String nodePrefix;
    private final String telemetryPrefix;

    private final String nodeId;
    private final ReactiveStringRedisTemplate redis;
    private final RedisSubscriptions listeners;
    private final ObjectMapper json;

    /** @param prefix the cluster's prefix of every Redis name ({@code relay:<cluster>:}) */
    public RedisNodeBus(String prefix, String nodeId, ReactiveStringRedisTemplate redis,
                        RedisSubscriptions listeners, ObjectMapper json) {
        this.nodePrefix = prefix + "node:";
        this.telemetryPrefix = prefix + "telemetry:";
        this.nodeId = nodeId;
        this.redis = redis;
        this.listeners = listeners;
        this.json = json;
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public void send(String node, UploadCommand command) {
        String body;
        try {
            body = json.writeValueAsString(command);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A command could not be written as JSON", e);
        }
        redis.convertAndSend(nodePrefix + node, body)
                .subscribe(receivers -> {
                    if (receivers == 0) {
                        log.debug("No node {} listens for {} of upload {}", node, command.kind(), command.uploadId());
                    }
                }, e -> log.debug("{} of upload {} not sent to node {} ({}); it arrives through the database",
                        command.kind(), command.uploadId(), node, e.toString()));
    }

    @Override
    public void publishTelemetry(UploadTelemetry sample) {
        try {
            redis.convertAndSend(telemetryPrefix + sample.uploadId(), json.writeValueAsString(sample))
                    .subscribe(null, e -> log.debug("A telemetry sample was not published ({})", e.toString()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A telemetry sample could not be written as JSON", e);
        }
    }

    @Override
    public Flux<UploadTelemetry> telemetry(String uploadId) {
        return listeners.receive(ChannelTopic.of(telemetryPrefix + uploadId))
                .map(message -> {
                    try {
                        return json.readValue(message, UploadTelemetry.class);
                    } catch (JsonProcessingException e) {
                        throw new IllegalStateException("A telemetry sample from Redis could not be read", e);
                    }
                });
    }

    @Override
    public Flux<UploadCommand> commands() {
        return listeners.receive(ChannelTopic.of(nodePrefix + nodeId))
                .map(message -> {
                    try {
                        return json.readValue(message, UploadCommand.class);
                    } catch (JsonProcessingException e) {
                        throw new IllegalStateException("A command from Redis could not be read", e);
                    }
                });
    }
}
