package dev.relay.web;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Mono;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Names other users see (file names, display names) refuse invisible format characters (Unicode Cf: direction
 * overrides and marks, zero-width characters) and line or paragraph separators (Zl, Zp): "bidi\u202Etxt.exe" would
 * show as "bidiexe.txt". Everything else stays allowed, right-to-left scripts included.
 */
class NamesIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @ParameterizedTest
    @ValueSource(strings = {"bidi\u202Etxt.exe", "\u202Dleft", "isolate\u2066x\u2069.pdf", "zero\u200Bwidth",
            "rlm\u200F.png", "bom\uFEFF.txt", "line\u2028sep", "para\u2029sep", "tag\uDB40\uDC01.txt"})
    void fileAndDisplayNamesRefuseFormatAndSeparatorCharacters(String name) {
        RelayClient client = client(newUser());
        assertInvalid(client.createUpload(new CreateUploadRequest(name, 10, "text/plain", null)));
        assertInvalid(client.updateProfile(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"report.pdf", "\u05D3\u05D5\u05D7.pdf",
            "\u0645\u0644\u0641 \u0646\u0647\u0627\u064A\u064A.txt", "caf\u00E9 \u2603 \uD83D\uDE00.png"})
    void ordinaryNamesInAnyScriptAreAccepted(String name) {
        AuthToken user = newUser();
        RelayClient client = client(user);
        assertThat(client.createUpload(new CreateUploadRequest(name, 10, "text/plain", null)).block(TIMEOUT))
                .isNotNull();
        assertThat(client.updateProfile(name).block(TIMEOUT).displayName()).isEqualTo(name);
    }

    private static void assertInvalid(Mono<?> call) {
        assertThatThrownBy(() -> call.block(TIMEOUT))
                .isInstanceOf(RelayException.class)
                .satisfies(e -> assertThat(((RelayException) e).code()).isEqualTo(ErrorCode.INVALID_REQUEST))
                .hasMessageContaining("invisible");
    }
}
