package dev.relay.api.wire;

/**
 * {@code POST /api/auth/register} and {@code POST /api/auth/login} body.
 *
 * @param invite on registration only: an administrator's invite code (registration mode {@code invite}) or the setup
 *               token the service logs at start-up while it has no administrator; ignored on login
 */
public record Credentials(String username, String password, String invite) {

    public Credentials(String username, String password) {
        this(username, password, null);
    }
}
