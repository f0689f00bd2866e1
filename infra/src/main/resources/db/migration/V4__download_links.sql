-- A download link serves one download (docs/protocol.md, "Downloading"): its first use binds it to the client's
-- address, and that client may go on using it (ranges, resumption) while it does so within
-- relay.security.download-link-window of its last use. One row per used link, shared by every node; rows of links
-- past expires_at (the link's own expiry) are pruned.
CREATE TABLE download_links (
    link_id      CHAR(36)    NOT NULL,
    client       VARCHAR(64) NOT NULL,
    usable_until DATETIME(6) NOT NULL,
    expires_at   DATETIME(6) NOT NULL,
    PRIMARY KEY (link_id),
    KEY ix_download_links_expires_at (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
