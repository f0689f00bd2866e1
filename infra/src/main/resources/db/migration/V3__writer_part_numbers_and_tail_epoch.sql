-- Stale writers (a node that still holds a write channel after the client resumed elsewhere) must never overwrite
-- what the current writer stored. Each write channel's claim reserves S3 part numbers past every number an earlier
-- writer could have used (part_numbers_reserved), and a staged tail is named by the epoch of the writer that staged
-- it (tail_epoch; 0 is the name of tails staged before this migration). writer_node is the node whose channel
-- holds the upload, so the verbs on it (pause, resume, cancel...) reach that node; rate_limit is the upload's rate
-- cap (bytes per second, 0: none), which that node re-reads when the command did not arrive.
ALTER TABLE uploads
    ADD COLUMN tail_epoch            BIGINT      NOT NULL DEFAULT 0 AFTER tail_bytes,
    ADD COLUMN part_numbers_reserved INT         NOT NULL DEFAULT 0 AFTER writer_epoch,
    ADD COLUMN writer_node           VARCHAR(64) NULL AFTER part_numbers_reserved,
    ADD COLUMN rate_limit            BIGINT      NOT NULL DEFAULT 0 AFTER writer_node;

UPDATE uploads u
SET part_numbers_reserved = COALESCE((SELECT MAX(p.part_number) FROM upload_parts p WHERE p.upload_id = u.id), 0);
