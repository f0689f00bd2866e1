package dev.relay.web.rsocket;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.api.ErrorCode;
import dev.relay.api.wire.ErrorBody;
import dev.relay.client.RelayClient;
import dev.relay.web.support.ServiceIntegrationTest;
import io.netty.buffer.Unpooled;
import io.rsocket.Payload;
import io.rsocket.exceptions.ApplicationErrorException;
import io.rsocket.util.ByteBufPayload;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A request-channel to a route nothing handles: refused with {@code UNKNOWN_ROUTE}, and its first payload released
 * exactly once. Without {@link UnknownChannelController}, Spring released that payload and rsocket-java released it
 * again (spring-framework#27376), which the pooled buffer reports as an {@code IllegalReferenceCountException} in
 * the log; a buffer freed twice could be one already handed out again.
 */
class UnknownChannelIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final int CHANNELS = 20;

    @Test
    void channelsToUnknownRoutesAreRefusedAndTheirFirstPayloadsReleasedOnce() throws Exception {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(log);
        try {
            RelayClient client = client(newUser());
            for (int i = 0; i < CHANNELS; i++) {
                String route = "nothing.here." + i;
                Payload first = ByteBufPayload.create(Unpooled.wrappedBuffer(new byte[4096]),
                        RelayClient.routeMetadata(route));
                Payload second = ByteBufPayload.create(new byte[1024]);
                Throwable refused = catchThrowable(() -> client.rsocket()
                        .flatMapMany(rsocket -> rsocket.requestChannel(Flux.just(first, second)))
                        .blockLast(TIMEOUT));

                assertThat(refused).isInstanceOf(ApplicationErrorException.class);
                ErrorBody body = JSON.readValue(refused.getMessage(), ErrorBody.class);
                assertThat(body.code()).isEqualTo(ErrorCode.UNKNOWN_ROUTE);
                assertThat(body.message()).contains("'" + route + "'");
            }
            // A later request on the same connection is answered after the channels' clean-up has run.
            assertThat(client.me().block(TIMEOUT)).isNotNull();

            assertThat(log.list).filteredOn(UnknownChannelIntegrationTests::reportsADoubleRelease)
                    .as("log events reporting a buffer released twice").isEmpty();
        } finally {
            root.detachAppender(log);
        }
    }

    private static boolean reportsADoubleRelease(ILoggingEvent event) {
        if (event.getFormattedMessage().contains("IllegalReferenceCount")) {
            return true;
        }
        for (IThrowableProxy cause = event.getThrowableProxy(); cause != null; cause = cause.getCause()) {
            if (cause.getClassName().endsWith("IllegalReferenceCountException")) {
                return true;
            }
        }
        return false;
    }
}
