package dev.relay.web;

import dev.relay.api.wire.AuthToken;
import dev.relay.client.RelayClient;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;
import reactor.core.publisher.Flux;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A program that embeds the Java client may hold many clients to one service (a bridge, a load generator): each is
 * a connection of its own. With Reactor Netty's default pool every client past the 500th waited for ever.
 */
@TestPropertySource(properties = "relay.connections.max-per-user=1000")
class ManyConnectionsIntegrationTests extends ServiceIntegrationTest {

    @Test
    void moreThanFiveHundredClientsOfOneProgramAllConnect() {
        AuthToken user = newUser();
        List<RelayClient> clients = Flux.range(0, 520).map(i -> client(user)).collectList().block();

        Long answered = Flux.fromIterable(clients).flatMap(RelayClient::me, 64).count()
                .block(Duration.ofSeconds(60));

        assertThat(answered).isEqualTo(520);
    }
}
