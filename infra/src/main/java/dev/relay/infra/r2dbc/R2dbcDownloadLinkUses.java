package dev.relay.infra.r2dbc;

import dev.relay.streaming.port.DownloadLinkUses;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Mono;

import java.time.Instant;

/** {@link DownloadLinkUses} in the {@code download_links} table (migration V4). */
public final class R2dbcDownloadLinkUses implements DownloadLinkUses {

    private final DatabaseClient db;

    public R2dbcDownloadLinkUses(DatabaseClient db) {
        this.db = db;
    }

    @Override
    public Mono<Use> use(String linkId, String client, Instant now, Instant usableUntil, Instant linkExpiresAt) {
        // The primary key makes the first use atomic across nodes: a second INSERT of the link inserts nothing.
        Mono<Boolean> first = db.sql("INSERT IGNORE INTO download_links (link_id, client, usable_until, expires_at)"
                        + " VALUES (:id, :client, :until, :expires)")
                .bind("id", linkId)
                .bind("client", client)
                .bind("until", Sql.toDb(usableUntil))
                .bind("expires", Sql.toDb(linkExpiresAt))
                .fetch().rowsUpdated()
                .map(rows -> rows > 0);
        Mono<Use> again = db.sql("UPDATE download_links SET usable_until = :until"
                        + " WHERE link_id = :id AND client = :client AND usable_until >= :now")
                .bind("until", Sql.toDb(usableUntil))
                .bind("id", linkId)
                .bind("client", client)
                .bind("now", Sql.toDb(now))
                .fetch().rowsUpdated()
                .map(rows -> rows > 0 ? Use.AGAIN : Use.REFUSED);
        return Sql.classify(first.flatMap(inserted -> inserted ? Mono.just(Use.FIRST) : again));
    }

    @Override
    public Mono<Long> pruneExpired(Instant now) {
        return Sql.classify(db.sql("DELETE FROM download_links WHERE expires_at < :now")
                .bind("now", Sql.toDb(now))
                .fetch().rowsUpdated());
    }
}
