package dev.relay.streaming.port;

import dev.relay.api.wire.UploadTelemetry;
import reactor.core.publisher.Flux;

/**
 * Commands from one node of the service to another: a verb on a live upload (pause, resume, rate cap, end) reaches
 * the node whose write channel holds the upload (recorded with the writer's claim). Delivery is at most once, so
 * nothing depends on it alone: the verb is in the database first, and a holder also re-reads the state of the
 * uploads it holds ({@code NodeControl.reconcile}), which carries pause, resume and end within seconds when the
 * bus is down. A single node needs no bus: {@link #standalone()}.
 */
public interface NodeBus {

    /** This node's id, recorded with each writer claim it makes. */
    String nodeId();

    /** Sends {@code command} to node {@code nodeId}; best effort, never fails the caller. */
    void send(String nodeId, UploadCommand command);

    /** The commands sent to this node. */
    Flux<UploadCommand> commands();

    /** Publishes a sample of an upload's channel on this node, for the node that asked for it (TELEMETRY). */
    void publishTelemetry(UploadTelemetry sample);

    /** The samples of an upload published by whichever node holds its channel, while subscribed. */
    Flux<UploadTelemetry> telemetry(String uploadId);

    /** A node alone: every upload's channel is local, so nothing is ever sent. */
    static NodeBus standalone() {
        return new NodeBus() {
            @Override
            public String nodeId() {
                return "standalone";
            }

            @Override
            public void send(String nodeId, UploadCommand command) {
            }

            @Override
            public Flux<UploadCommand> commands() {
                return Flux.never();
            }

            @Override
            public void publishTelemetry(UploadTelemetry sample) {
            }

            @Override
            public Flux<UploadTelemetry> telemetry(String uploadId) {
                return Flux.never();
            }
        };
    }

    /**
     * @param limit  for LIMIT: bytes per second, 0 for none; for TELEMETRY: the interval between samples, in ms
     * @param reason for END: the upload's final state ({@code CANCELLED}, {@code EXPIRED}, {@code DELETED}, ...)
     */
    record UploadCommand(Kind kind, String uploadId, long limit, String reason) {

        /**
         * TELEMETRY: publish samples of the channel for a while ({@code SessionTelemetry.TELEMETRY_LEASE}). RELEASE: a
         * channel on another node takes the upload over: close this one as a takeover on one node does.
         */
        public enum Kind { PAUSE, RESUME, LIMIT, END, TELEMETRY, RELEASE }
    }
}
