package dev.relay.cli;

import dev.relay.api.ErrorCode;
import dev.relay.client.RelayException;
import org.junit.jupiter.api.Test;
import reactor.core.Exceptions;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.EnumMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ExitCodesTests {

    @Test
    void everyErrorCodeHasItsDocumentedExitCode() {
        Map<ErrorCode, Integer> expected = new EnumMap<>(ErrorCode.class);
        for (ErrorCode code : ErrorCode.values()) {
            expected.put(code, ExitCodes.OTHER);
        }
        for (ErrorCode code : new ErrorCode[]{ErrorCode.INVALID_REQUEST, ErrorCode.CONFLICT,
                ErrorCode.OFFSET_MISMATCH, ErrorCode.FILE_TOO_LARGE, ErrorCode.QUOTA_EXCEEDED,
                ErrorCode.TOO_MANY_UPLOADS, ErrorCode.CHUNK_TOO_LARGE, ErrorCode.CREDIT_EXCEEDED,
                ErrorCode.SIZE_EXCEEDED, ErrorCode.INVALID_STATE, ErrorCode.CHECKSUM_MISMATCH, ErrorCode.TAKEN_OVER,
                ErrorCode.CANCELLED, ErrorCode.FORBIDDEN, ErrorCode.ADMIN_ONLY, ErrorCode.RATE_LIMITED,
                ErrorCode.LIMIT_EXCEEDED}) {
            expected.put(code, ExitCodes.REJECTED);
        }
        expected.put(ErrorCode.UNAUTHENTICATED, ExitCodes.AUTH);
        expected.put(ErrorCode.USER_DISABLED, ExitCodes.AUTH);
        expected.put(ErrorCode.NOT_FOUND, ExitCodes.NOT_FOUND);
        // UNKNOWN_ROUTE (an older server), STORAGE_UNAVAILABLE, SHUTTING_DOWN, INTERNAL: anything else.

        for (ErrorCode code : ErrorCode.values()) {
            RelayException e = new RelayException(code, "text", null, null);
            assertThat(ExitCodes.of(e)).as(code.name()).isEqualTo(expected.get(code));
        }
        assertThat(ExitCodes.of(new RelayException(ErrorCode.QUOTA_EXCEEDED, "full", null, null)))
                .isEqualTo(5);
    }

    @Test
    void serverErrorsAreFoundInsideReactorWrappers() {
        RelayException notFound = new RelayException(ErrorCode.NOT_FOUND, "no such upload", null, null);
        Throwable exhausted = Exceptions.retryExhausted("Retries exhausted: 3/3", notFound);

        assertThat(ExitCodes.of(exhausted)).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(ExitCodes.message(exhausted)).isEqualTo("NOT_FOUND: no such upload");
    }

    @Test
    void connectionFailuresAreUnreachableWhereverTheyAreWrapped() {
        ConnectException refused = new ConnectException("Connection refused");
        assertThat(ExitCodes.of(refused)).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(ExitCodes.of(Exceptions.retryExhausted("Retries exhausted: 3/3",
                new IOException("connect failed", refused)))).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(ExitCodes.of(Exceptions.propagate(new UnknownHostException("nohost")))).isEqualTo(6);
        assertThat(ExitCodes.message(Exceptions.retryExhausted("x", new IOException("wrapper", refused))))
                .isEqualTo("Connection refused");
    }

    @Test
    void cliFailuresCarryTheirOwnCodeAndEverythingElseIs1() {
        assertThat(ExitCodes.of(CliException.usage("bad"))).isEqualTo(ExitCodes.USAGE);
        assertThat(ExitCodes.of(CliException.notLoggedIn("who?"))).isEqualTo(ExitCodes.AUTH);
        assertThat(ExitCodes.of(Exceptions.propagate(new IOException("disk full")))).isEqualTo(ExitCodes.OTHER);
        assertThat(ExitCodes.message(new IllegalStateException("line one\nline two"))).isEqualTo("line one line two");
        assertThat(ExitCodes.message(new NullPointerException())).isEqualTo("NullPointerException");
    }
}
