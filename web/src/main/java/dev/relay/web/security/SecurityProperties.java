package dev.relay.web.security;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;
import java.util.List;

/**
 * {@code relay.security.*}.
 *
 * @param jwtSecret      base64 HMAC key of at least 32 bytes that signs tokens (the embedded defaults generate one
 *                       and keep it in the data folder)
 * @param tokenTtl       how long a token is valid
 * @param allowedOrigins browser origins (scheme://host[:port]) allowed to open the WebSocket besides the page's own
 *                       origin; requests without an Origin header (non-browser clients) are allowed
 * @param admin          the administrator account the operator provides (created at start-up when missing); without
 *                       it, the first administrator registers with the setup token the service logs at start-up
 * @param registration   who may register: {@code open} (anyone), {@code invite} (with an administrator's invite code),
 *                       {@code closed} (nobody; only the operator's administrator and the setup token)
 * @param inviteTtl      how long an invite code works
 * @param downloadLinkTtl how long a download link ({@code POST /api/files/{id}/link}) works
 * @param downloadLinkWindow how long after its previous use the client that first used a download link may use it
 *                        again (its ranges, resumption); never past the link's expiry
 * @param loginBurst     login attempts on one account that may come at once, on any node
 * @param loginsPerMinute login attempts on one account per minute after the burst (each costs a password hash)
 * @param addressLoginBurst   login attempts from one client address that may come at once, on any node
 * @param addressLoginsPerMinute login attempts from one client address per minute after the burst
 * @param registrationBurst   registrations from one client address that may come at once, on any node
 * @param registrationsPerHour registrations from one client address per hour after the burst
 * @param hashThreads    threads that hash passwords (at most that many cores go to it)
 * @param hashQueue      hashes that may wait for one of those threads; more are refused with RATE_LIMITED
 */
@ConfigurationProperties("relay.security")
public record SecurityProperties(String jwtSecret,
                                 @DefaultValue("12h") Duration tokenTtl,
                                 @DefaultValue List<String> allowedOrigins,
                                 @DefaultValue Admin admin,
                                 @DefaultValue("open") Registration registration,
                                 @DefaultValue("7d") Duration inviteTtl,
                                 @DefaultValue("15m") Duration downloadLinkTtl,
                                 @DefaultValue("5m") Duration downloadLinkWindow,
                                 @DefaultValue("10") int loginBurst,
                                 @DefaultValue("6") int loginsPerMinute,
                                 @DefaultValue("30") int addressLoginBurst,
                                 @DefaultValue("30") int addressLoginsPerMinute,
                                 @DefaultValue("10") int registrationBurst,
                                 @DefaultValue("30") int registrationsPerHour,
                                 @DefaultValue("2") int hashThreads,
                                 @DefaultValue("32") int hashQueue) {

    public enum Registration { OPEN, INVITE, CLOSED }

    /** {@code relay.security.admin.username} and {@code .password}; both or neither. */
    public record Admin(String username, String password) {

        public boolean configured() {
            return username != null && !username.isBlank();
        }

        public boolean is(String name) {
            return configured() && username.strip().equalsIgnoreCase(name);
        }
    }
}
