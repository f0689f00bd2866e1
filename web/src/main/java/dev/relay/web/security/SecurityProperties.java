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
 * @param admins         usernames that become administrators when they register (the first user always does)
 * @param downloadLinkTtl how long a download link ({@code POST /api/files/{id}/link}) works
 * @param downloadLinkWindow how long after its previous use the client that first used a download link may use it
 *                        again (its ranges, resumption); never past the link's expiry
 * @param loginBurst     login attempts on one account that may come at once, on any node
 * @param loginsPerMinute login attempts on one account per minute after the burst (each costs a BCrypt hash)
 */
@ConfigurationProperties("relay.security")
public record SecurityProperties(String jwtSecret,
                                 @DefaultValue("12h") Duration tokenTtl,
                                 @DefaultValue List<String> allowedOrigins,
                                 @DefaultValue List<String> admins,
                                 @DefaultValue("15m") Duration downloadLinkTtl,
                                 @DefaultValue("5m") Duration downloadLinkWindow,
                                 @DefaultValue("10") int loginBurst,
                                 @DefaultValue("6") int loginsPerMinute) {

    public boolean isAdmin(String username) {
        return admins.stream().anyMatch(a -> a.strip().equalsIgnoreCase(username));
    }
}
