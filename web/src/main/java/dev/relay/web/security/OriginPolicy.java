package dev.relay.web.security;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which browser origins may open the WebSocket (against cross-site WebSocket hijacking): the page's own origin, the
 * configured ones, and requests without an Origin header, which no browser sends (services, the CLI).
 */
public final class OriginPolicy {

    private final Set<String> allowed;

    public OriginPolicy(List<String> allowedOrigins) {
        this.allowed = allowedOrigins.stream().map(OriginPolicy::normalize).collect(Collectors.toSet());
    }

    /**
     * @param origin the request's Origin header, or null
     * @param host   the request's Host header, or null
     */
    public boolean allows(String origin, String host) {
        if (origin == null) {
            return true;
        }
        String normalized = normalize(origin);
        if (allowed.contains(normalized) || allowed.contains("*")) {
            return true;
        }
        if (host == null) {
            return false;
        }
        try {
            URI uri = URI.create(normalized);
            if (uri.getHost() == null) {
                return false;
            }
            String originHost = uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
            String hostHeader = host.toLowerCase(Locale.ROOT);
            return hostHeader.equals(originHost) || defaultPort(uri) && hostHeader.equals(uri.getHost() + ":"
                    + ("https".equals(uri.getScheme()) ? 443 : 80));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean defaultPort(URI uri) {
        return uri.getPort() == -1;
    }

    private static String normalize(String origin) {
        String o = origin.strip().toLowerCase(Locale.ROOT);
        return o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
    }
}
