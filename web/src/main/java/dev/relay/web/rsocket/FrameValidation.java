package dev.relay.web.rsocket;

import io.netty.buffer.ByteBuf;
import io.rsocket.DuplexConnection;
import io.rsocket.exceptions.ConnectionErrorException;
import io.rsocket.exceptions.InvalidSetupException;
import io.rsocket.plugins.DuplexConnectionInterceptor;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;

/**
 * Checks every frame a client sends against {@link FrameRules} before rsocket-java demultiplexes it. A malformed
 * frame gets an ERROR frame on stream 0 (INVALID_SETUP when it was the first frame, CONNECTION_ERROR after) and the
 * connection is closed; nothing of it reaches a handler. A request-channel payload beyond the credit the server sent
 * ends that channel with CREDIT_EXCEEDED ({@link CreditLedger}); the connection stays.
 */
final class FrameValidation implements DuplexConnectionInterceptor {

    private static final Logger log = LoggerFactory.getLogger(FrameValidation.class);

    @Override
    public DuplexConnection apply(Type type, DuplexConnection connection) {
        return type == Type.SOURCE ? new ValidatingConnection(connection) : connection;
    }

    private static final class ValidatingConnection extends ForwardingConnection {

        private final Flux<ByteBuf> inbound;
        private final CreditLedger credit;
        // The inbound flux has one subscriber and Netty delivers its frames serially.
        private boolean first = true;
        private boolean rejected;

        ValidatingConnection(DuplexConnection source) {
            super(source);
            // Without the socket's reads (a transport other than the WebSocket route), every grant counts at once.
            AtomicLong calls = new AtomicLong();
            this.credit = new CreditLedger(source instanceof CountedReadsConnection counted
                    ? counted.reads()::count : calls::incrementAndGet);
            this.inbound = source.receive().handle((frame, sink) -> {
                // reactor-netty releases each inbound frame once onNext returns (rsocket-java retains what it keeps),
                // so a frame not passed on must not be released here: that would free a pooled buffer twice.
                if (rejected) {
                    return;
                }
                FrameRules.Verdict verdict = FrameRules.check(frame, first);
                if (verdict instanceof FrameRules.Pass) {
                    first = false;
                    switch (credit.inbound(frame)) {
                        case PASS -> sink.next(frame);
                        case OVERRUN -> {
                            int streamId = frame.getInt(frame.readerIndex());
                            log.debug("Closing channel {} from {}: a payload beyond its credit", streamId,
                                    source.remoteAddress());
                            source.sendFrame(streamId, CreditLedger.overrunError(source.alloc(), streamId));
                            sink.next(CreditLedger.cancelFrame(streamId));
                        }
                        case DROP -> {
                        }
                    }
                } else if (verdict instanceof FrameRules.Reject reject) {
                    rejected = true;
                    log.debug("Closing the connection from {}: {}", source.remoteAddress(), reject.problem());
                    // Later frames are dropped above; the connection closes once the ERROR frame is written, which
                    // completes this flux and with it everything rsocket-java set up on the connection.
                    source.sendErrorAndClose(first
                            ? new InvalidSetupException(reject.problem())
                            : new ConnectionErrorException(reject.problem()));
                }
                // A Drop verdict (an ignorable frame of a type this server does not know) passes nothing on.
            });
        }

        @Override
        public Flux<ByteBuf> receive() {
            return inbound;
        }

        @Override
        public void sendFrame(int streamId, ByteBuf frame) {
            if (credit.outbound(streamId, frame)) {
                source.sendFrame(streamId, frame);
            } else {
                frame.release();
            }
        }
    }
}
