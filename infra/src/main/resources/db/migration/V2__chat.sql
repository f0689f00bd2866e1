-- Chat: profiles and roles, file messages' recipients, conversations, messages, read markers, per-user event logs.

-- token_version is carried by every token; bumping it (password change, disable) revokes all earlier tokens at once.
-- event_seq is the last sequence number of the user's event log; its row lock orders the user's chat transactions.
ALTER TABLE accounts
    ADD COLUMN display_name  VARCHAR(64) NULL,
    ADD COLUMN role          VARCHAR(16) NOT NULL DEFAULT 'USER',
    ADD COLUMN disabled      BOOLEAN     NOT NULL DEFAULT FALSE,
    ADD COLUMN token_version BIGINT      NOT NULL DEFAULT 0,
    ADD COLUMN event_seq     BIGINT      NOT NULL DEFAULT 0;
UPDATE accounts SET display_name = username;
ALTER TABLE accounts MODIFY display_name VARCHAR(64) NOT NULL;
-- The first account of an existing installation becomes its administrator, as a new installation's would.
UPDATE accounts SET role = 'ADMIN' ORDER BY created_at, id LIMIT 1;

ALTER TABLE uploads
    ADD COLUMN recipient_id CHAR(36) NULL AFTER owner_id,
    ADD KEY ix_uploads_recipient_created (recipient_id, created_at),
    ADD CONSTRAINT fk_uploads_recipient FOREIGN KEY (recipient_id) REFERENCES accounts (id);

-- One row per pair of users, user_low < user_high.
CREATE TABLE conversations (
    id              CHAR(36)    NOT NULL,
    user_low        CHAR(36)    NOT NULL,
    user_high       CHAR(36)    NOT NULL,
    last_message_id BIGINT      NULL,
    created_at      DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_conversations_pair (user_low, user_high),
    KEY ix_conversations_high (user_high),
    CONSTRAINT fk_conversations_low FOREIGN KEY (user_low) REFERENCES accounts (id),
    CONSTRAINT fk_conversations_high FOREIGN KEY (user_high) REFERENCES accounts (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Ids only grow, and a conversation's messages are inserted under its members' locks: a history cursor is stable.
CREATE TABLE messages (
    id              BIGINT        NOT NULL AUTO_INCREMENT,
    conversation_id CHAR(36)      NOT NULL,
    sender_id       CHAR(36)      NOT NULL,
    recipient_id    CHAR(36)      NOT NULL,
    kind            VARCHAR(8)    NOT NULL,
    body            TEXT          NULL,
    upload_id       CHAR(36)      NULL,
    deleted         BOOLEAN       NOT NULL DEFAULT FALSE,
    created_at      DATETIME(6)   NOT NULL,
    PRIMARY KEY (id),
    KEY ix_messages_conversation (conversation_id, id),
    UNIQUE KEY uk_messages_upload (upload_id),
    CONSTRAINT fk_messages_conversation FOREIGN KEY (conversation_id) REFERENCES conversations (id),
    CONSTRAINT fk_messages_upload FOREIGN KEY (upload_id) REFERENCES uploads (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- A user's read marker in a conversation: messages to them with a higher id are unread.
CREATE TABLE read_markers (
    conversation_id CHAR(36) NOT NULL,
    user_id         CHAR(36) NOT NULL,
    last_read_id    BIGINT   NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, user_id),
    CONSTRAINT fk_read_markers_conversation FOREIGN KEY (conversation_id) REFERENCES conversations (id),
    CONSTRAINT fk_read_markers_user FOREIGN KEY (user_id) REFERENCES accounts (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- What each user was told, in order, so a reconnecting client can ask for what it missed (events since seq n).
CREATE TABLE user_events (
    user_id    CHAR(36)    NOT NULL,
    seq        BIGINT      NOT NULL,
    type       VARCHAR(32) NOT NULL,
    payload    MEDIUMTEXT  NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (user_id, seq),
    KEY ix_user_events_created (created_at),
    CONSTRAINT fk_user_events_user FOREIGN KEY (user_id) REFERENCES accounts (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
