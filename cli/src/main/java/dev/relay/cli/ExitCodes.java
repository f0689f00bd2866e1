package dev.relay.cli;

import dev.relay.api.ErrorCode;
import dev.relay.client.RelayException;
import reactor.core.Exceptions;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.nio.channels.UnresolvedAddressException;

/** The exit codes scripts can rely on (docs/cli.md), and which failure gets which. */
public final class ExitCodes {

    public static final int OK = 0;
    public static final int OTHER = 1;
    public static final int USAGE = 2;
    public static final int AUTH = 3;
    public static final int NOT_FOUND = 4;
    public static final int REJECTED = 5;
    public static final int UNREACHABLE = 6;

    private ExitCodes() {
    }

    public static int of(Throwable failure) {
        Throwable e = unwrap(failure);
        if (e instanceof CliException cli) {
            return cli.exitCode();
        }
        RelayException relay = find(e, RelayException.class);
        if (relay != null) {
            return of(relay.code());
        }
        if (isUnreachable(e)) {
            return UNREACHABLE;
        }
        return OTHER;
    }

    public static int of(ErrorCode code) {
        return switch (code) {
            case UNAUTHENTICATED, USER_DISABLED -> AUTH;
            case NOT_FOUND -> NOT_FOUND;
            case INVALID_REQUEST, CONFLICT, OFFSET_MISMATCH, FILE_TOO_LARGE, QUOTA_EXCEEDED, TOO_MANY_UPLOADS,
                 CHUNK_TOO_LARGE, CREDIT_EXCEEDED, SIZE_EXCEEDED, INVALID_STATE, CHECKSUM_MISMATCH, TAKEN_OVER,
                 CANCELLED, FORBIDDEN, ADMIN_ONLY, RATE_LIMITED, LIMIT_EXCEEDED -> REJECTED;
            // Codes added to the protocol after this CLI count as "anything else" until mapped here.
            default -> OTHER;
        };
    }

    /** Whether the failure is the server not answering at all (refused, unknown host, no route, timed out). */
    public static boolean isUnreachable(Throwable failure) {
        for (Throwable e = unwrap(failure); e != null; e = e.getCause() == e ? null : e.getCause()) {
            if (e instanceof ConnectException || e instanceof UnknownHostException
                    || e instanceof NoRouteToHostException || e instanceof UnresolvedAddressException
                    || e instanceof HttpConnectTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** The one line to print for a failure (without the "relay: " prefix). */
    public static String message(Throwable failure) {
        Throwable e = unwrap(failure);
        if (e instanceof CliException) {
            return e.getMessage();
        }
        RelayException relay = find(e, RelayException.class);
        if (relay != null) {
            return relay.getMessage();
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return text.replace('\n', ' ');
    }

    /** Strips Reactor's wrappers (checked exceptions rethrown by block(), exhausted retries). */
    public static Throwable unwrap(Throwable failure) {
        Throwable e = Exceptions.unwrap(failure);
        while (Exceptions.isRetryExhausted(e) && e.getCause() != null) {
            e = Exceptions.unwrap(e.getCause());
        }
        return e;
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable e = failure; e != null; e = e.getCause() == e ? null : e.getCause()) {
            if (type.isInstance(e)) {
                return type.cast(e);
            }
        }
        return null;
    }
}
