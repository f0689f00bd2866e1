package dev.relay.web.health;

import dev.relay.api.wire.AuthToken;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Health and info answer without a token and without details; every other actuator endpoint stays closed, even to
 * a logged-in user and even when configuration exposes it (here: all of them).
 */
@TestPropertySource(properties = "management.endpoints.web.exposure.include=*")
class ActuatorSecurityIntegrationTests extends ServiceIntegrationTest {

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void healthProbesAndInfoAnswerAnonymouslyWithoutDetails() throws Exception {
        for (String path : new String[]{"/actuator/health", "/actuator/health/liveness",
                "/actuator/health/readiness", "/actuator/info"}) {
            HttpResponse<String> response = get(path, null);
            assertThat(response.statusCode()).as(path).isEqualTo(200);
            assertThat(response.body()).as(path).doesNotContain("components", "details", "r2dbc", "s3");
        }
    }

    @Test
    void otherActuatorEndpointsAreClosedEvenWhenExposed() throws Exception {
        AuthToken user = newUser();
        for (String path : new String[]{"/actuator", "/actuator/env", "/actuator/beans", "/actuator/configprops",
                "/actuator/loggers"}) {
            assertThat(get(path, null).statusCode()).as(path + " without a token").isEqualTo(401);
            assertThat(get(path, user.token()).statusCode()).as(path + " with a user's token").isEqualTo(403);
        }
    }

    private HttpResponse<String> get(String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(http().resolve(path));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
