package dev.relay.infra.r2dbc;

import dev.relay.api.UploadState;
import dev.relay.streaming.port.UploadRecord;
import io.r2dbc.spi.Readable;

/** The {@code uploads} row as an {@link UploadRecord}, shared by the command and the read side. */
final class UploadRows {

    static final String COLUMNS = "id, owner_id, recipient_id, name, size, content_type, expected_sha256, state,"
            + " part_size, object_key, s3_upload_id, parts_bytes, tail_bytes, tail_epoch, digest_state, sha256, error_code,"
            + " error_message, writer_epoch, writer_node, rate_limit, created_at, updated_at";

    private UploadRows() {
    }

    static UploadRecord toRecord(Readable row) {
        String errorCode = row.get("error_code", String.class);
        String errorMessage = row.get("error_message", String.class);
        return new UploadRecord(
                row.get("id", String.class),
                row.get("owner_id", String.class),
                row.get("recipient_id", String.class),
                row.get("name", String.class),
                Sql.longOf(row, "size"),
                row.get("content_type", String.class),
                row.get("expected_sha256", String.class),
                UploadState.valueOf(row.get("state", String.class)),
                Sql.longOf(row, "part_size"),
                row.get("object_key", String.class),
                row.get("s3_upload_id", String.class),
                Sql.longOf(row, "parts_bytes"),
                Sql.longOf(row, "tail_bytes"),
                Sql.longOf(row, "tail_epoch"),
                row.get("digest_state", byte[].class),
                row.get("sha256", String.class),
                errorCode == null ? null : errorCode + ": " + errorMessage,
                Sql.longOf(row, "writer_epoch"),
                row.get("writer_node", String.class),
                Sql.longOf(row, "rate_limit"),
                Sql.instantOf(row, "created_at"),
                Sql.instantOf(row, "updated_at"));
    }
}
