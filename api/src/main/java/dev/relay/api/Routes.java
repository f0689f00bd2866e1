package dev.relay.api;

/**
 * RSocket route names: part of the public contract (see docs/protocol.md). Routes that address one upload or
 * file embed its id as a route segment, e.g. {@code uploads.7c1e....write}.
 */
public final class Routes {

    public static final String UPLOADS_CREATE = "uploads.create";
    public static final String UPLOADS_LIST = "uploads.list";
    public static final String UPLOAD = "uploads.{id}";
    public static final String UPLOAD_WRITE = "uploads.{id}.write";
    public static final String UPLOAD_PAUSE = "uploads.{id}.pause";
    public static final String UPLOAD_RESUME = "uploads.{id}.resume";
    public static final String UPLOAD_CANCEL = "uploads.{id}.cancel";

    public static final String FILES_LIST = "files.list";
    public static final String FILE = "files.{id}";
    public static final String FILE_READ = "files.{id}.read";

    private Routes() {
    }

    /** Fills the {@code {id}} segment of a route template. */
    public static String of(String template, String id) {
        if (id == null || id.isEmpty() || id.indexOf('.') >= 0) {
            throw new IllegalArgumentException("An id must be non-empty and contain no '.': " + id);
        }
        return template.replace("{id}", id);
    }
}
