-- Invite codes (relay.security.registration=invite). code_hash is the SHA-256 of the code, hex: the code itself is
-- shown once to the administrator who made it and stored nowhere.
CREATE TABLE invites (
    code_hash  CHAR(64)    NOT NULL,
    created_by CHAR(36)    NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    used_by    VARCHAR(64) NULL,
    used_at    DATETIME(6) NULL,
    PRIMARY KEY (code_hash),
    KEY ix_invites_expires_at (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
