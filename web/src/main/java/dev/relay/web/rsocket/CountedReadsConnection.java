package dev.relay.web.rsocket;

import io.rsocket.DuplexConnection;

/** A connection as rsocket-java's transport made it, with the count of its socket's reads for {@link FrameValidation}. */
final class CountedReadsConnection extends ForwardingConnection {

    private final SocketReads reads;

    CountedReadsConnection(DuplexConnection source, SocketReads reads) {
        super(source);
        this.reads = reads;
    }

    SocketReads reads() {
        return reads;
    }
}
