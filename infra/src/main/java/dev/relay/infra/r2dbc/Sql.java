package dev.relay.infra.r2dbc;

import dev.relay.streaming.port.StorageUnavailableException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTransientException;
import io.r2dbc.spi.Readable;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.r2dbc.core.Parameter;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/** Small helpers shared by the R2DBC repositories: UTC timestamps, numeric columns and error classification. */
final class Sql {

    private Sql() {
    }

    /** Timestamps are stored as UTC DATETIME(6), independent of the server's and the JVM's time zones. */
    static LocalDateTime now(Clock clock) {
        return toDb(clock.instant());
    }

    static LocalDateTime toDb(Instant instant) {
        return LocalDateTime.ofInstant(instant.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
    }

    static Instant instantOf(LocalDateTime db) {
        return db.toInstant(ZoneOffset.UTC);
    }

    static Instant instantOf(Readable row, String column) {
        LocalDateTime value = row.get(column, LocalDateTime.class);
        return value == null ? null : value.toInstant(ZoneOffset.UTC);
    }

    static long longOf(Readable row, String column) {
        Number value = row.get(column, Number.class);
        return value == null ? 0 : value.longValue();
    }

    static int intOf(Readable row, String column) {
        return (int) longOf(row, column);
    }

    static <T> Parameter nullable(T value, Class<T> type) {
        return Parameter.fromOrEmpty(value, type);
    }

    static <T> Mono<T> classify(Mono<T> mono) {
        return mono.onErrorMap(Sql::isUnavailable, Sql::unavailable);
    }

    static <T> Flux<T> classify(Flux<T> flux) {
        return flux.onErrorMap(Sql::isUnavailable, Sql::unavailable);
    }

    /**
     * A query's rows, read to the end before the first is emitted. A row stream consumed at its subscriber's pace
     * keeps its pooled connection until the last row is taken: a caller that makes another query per row
     * ({@code concatMap} asks for one row at a time) then holds one connection while waiting for a second, and enough
     * of them at once take the whole pool and wait on each other until the acquire timeout (issue #19's mass
     * reconnect: every request failing with STORAGE_UNAVAILABLE while the database sat idle); a client reading a
     * stream slowly would hold one as long as it likes. Every query here is bounded or small, so the rows fit.
     */
    static <T> Flux<T> rows(Flux<T> query) {
        return classify(query.collectList().flatMapIterable(rows -> rows));
    }

    /** Whether the database failed in a way that may pass (connection lost, timeouts, deadlocks). */
    static boolean isUnavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof R2dbcTransientException || t instanceof R2dbcNonTransientResourceException
                    || t instanceof TransientDataAccessException || t instanceof DataAccessResourceFailureException
                    || t instanceof IOException) {
                return true;
            }
        }
        return false;
    }

    private static Throwable unavailable(Throwable e) {
        return new StorageUnavailableException("The database is unavailable: " + e.getMessage(), e);
    }
}
