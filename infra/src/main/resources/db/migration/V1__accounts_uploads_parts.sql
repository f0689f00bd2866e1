-- Accounts own uploads; an upload becomes a file when COMPLETED (same id).
CREATE TABLE accounts (
    id            CHAR(36)     NOT NULL,
    username      VARCHAR(64)  NOT NULL COLLATE utf8mb4_unicode_ci,
    password_hash VARCHAR(255) NOT NULL,
    created_at    DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_accounts_username (username)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The durable offset is parts_bytes + tail_bytes; digest_state is the SHA-256 state after exactly that many bytes.
-- writer_epoch is bumped by each write channel that claims the upload: records carry it, stale writers lose.
CREATE TABLE uploads (
    id              CHAR(36)      NOT NULL,
    owner_id        CHAR(36)      NOT NULL,
    name            VARCHAR(255)  NOT NULL,
    size            BIGINT        NOT NULL,
    content_type    VARCHAR(255)  NOT NULL,
    expected_sha256 CHAR(64)      NULL,
    state           VARCHAR(16)   NOT NULL,
    part_size       BIGINT        NOT NULL,
    object_key      VARCHAR(512)  NOT NULL,
    s3_upload_id    VARCHAR(1024) NULL,
    parts_bytes     BIGINT        NOT NULL DEFAULT 0,
    tail_bytes      BIGINT        NOT NULL DEFAULT 0,
    digest_state    VARBINARY(512) NULL,
    sha256          CHAR(64)      NULL,
    error_code      VARCHAR(32)   NULL,
    error_message   VARCHAR(1024) NULL,
    writer_epoch    BIGINT        NOT NULL DEFAULT 0,
    created_at      DATETIME(6)   NOT NULL,
    updated_at      DATETIME(6)   NOT NULL,
    completed_at    DATETIME(6)   NULL,
    PRIMARY KEY (id),
    KEY ix_uploads_owner_created (owner_id, created_at),
    KEY ix_uploads_state_updated (state, updated_at),
    CONSTRAINT fk_uploads_owner FOREIGN KEY (owner_id) REFERENCES accounts (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE upload_parts (
    upload_id   CHAR(36)     NOT NULL,
    part_number INT          NOT NULL,
    etag        VARCHAR(128) NOT NULL,
    size        BIGINT       NOT NULL,
    created_at  DATETIME(6)  NOT NULL,
    PRIMARY KEY (upload_id, part_number),
    CONSTRAINT fk_parts_upload FOREIGN KEY (upload_id) REFERENCES uploads (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
