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
    /** Caps an upload's rate: the server paces its credits. */
    public static final String UPLOAD_LIMIT = "uploads.{id}.limit";
    /** Samples of the upload's flow control (credits, bytes in flight, buffer fill, rate), several per second. */
    public static final String UPLOAD_TELEMETRY = "uploads.{id}.telemetry";

    public static final String FILES_LIST = "files.list";
    public static final String FILE = "files.{id}";
    public static final String FILE_READ = "files.{id}.read";

    /** The caller's own profile; {@code users.list} / {@code users.search} are the directory of other users. */
    public static final String USERS_ME = "users.me";
    public static final String USERS_LIST = "users.list";
    public static final String USERS_SEARCH = "users.search";
    public static final String PROFILE_UPDATE = "profile.update";
    /**
     * Request-response: whose presence this connection's event streams get besides the user's conversation peers
     * ({@code PresenceWatch}, at most 500 ids, replacing the previous set); answers their current state
     * ({@code PresenceState}).
     */
    public static final String PRESENCE_WATCH = "presence.watch";

    /** Conversations are addressed by the other user's id (usernames may contain '.'): {@code chat.<id>.send}. */
    public static final String CHAT_LIST = "chat.list";
    public static final String CHAT_SEND = "chat.{user}.send";
    public static final String CHAT_HISTORY = "chat.{user}.history";
    public static final String CHAT_READ = "chat.{user}.read";
    public static final String CHAT_DELETE = "chat.{user}.delete";

    /** The connection's live event stream (messages, read markers, presence, transfers), with replay. */
    public static final String EVENTS = "events";

    public static final String ADMIN_USERS = "admin.users.list";
    public static final String ADMIN_DISABLE = "admin.users.{id}.disable";
    public static final String ADMIN_ENABLE = "admin.users.{id}.enable";
    public static final String ADMIN_DELETE_FILE = "admin.files.{id}.delete";
    /** Request-response, no data: a new {@code Invite} for registration mode {@code invite}. */
    public static final String ADMIN_CREATE_INVITE = "admin.invites.create";

    private Routes() {
    }

    /** Fills the {@code {id}} segment of a route template. */
    public static String of(String template, String id) {
        return template.replace("{id}", segment(id));
    }

    /** Fills the {@code {user}} segment of a chat route template with the other user's id. */
    public static String chat(String template, String userId) {
        return template.replace("{user}", segment(userId));
    }

    private static String segment(String value) {
        if (value == null || value.isEmpty() || value.indexOf('.') >= 0) {
            throw new IllegalArgumentException("A route segment must be non-empty and contain no '.': " + value);
        }
        return value;
    }
}
