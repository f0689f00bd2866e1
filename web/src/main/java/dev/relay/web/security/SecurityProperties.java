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
 */
@ConfigurationProperties("relay.security")
public record SecurityProperties(String jwtSecret,
                                 @DefaultValue("12h") Duration tokenTtl,
                                 @DefaultValue List<String> allowedOrigins) {
}
