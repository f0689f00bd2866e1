package dev.relay.web.security;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

import java.util.regex.Pattern;

/**
 * The browser app's Content-Security-Policy, on every response that does not set its own (file content sets a
 * sandbox, see FileContentController): scripts, styles, fonts and connections only from the page's own origin, no
 * plugins, no framing, no foreign base or form targets. Styles also allow inline {@code <style>} elements, which
 * MUI's emotion injects at run time; scripts do not (the bundle has no inline script). Images also from blob: and
 * data: (the favicon is a data: URL). The WebSocket's ws:// and wss:// URLs of the page's host are listed besides
 * 'self' for browsers whose 'self' does not cover them. Also sends {@code X-Content-Type-Options: nosniff}.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class AppContentSecurityPolicy implements WebFilter {

    static final String HEADER = "Content-Security-Policy";
    private static final String BASE = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
            + " img-src 'self' blob: data:; font-src 'self' data:; media-src 'self' blob:; object-src 'none';"
            + " base-uri 'self'; form-action 'self'; frame-ancestors 'none'; connect-src 'self'";
    /** host[:port] as it may appear in a source expression; anything else is left out, never echoed. */
    private static final Pattern AUTHORITY = Pattern.compile("[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?"
            + "|\\[[0-9A-Fa-f:.]{2,45}](:[0-9]{1,5})?");

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        exchange.getResponse().beforeCommit(() -> {
            HttpHeaders headers = exchange.getResponse().getHeaders();
            if (!headers.containsKey(HEADER)) {
                headers.set(HEADER, policy(exchange.getRequest().getURI().getRawAuthority()));
            }
            if (!headers.containsKey("X-Content-Type-Options")) {
                headers.set("X-Content-Type-Options", "nosniff");
            }
            return Mono.empty();
        });
        return chain.filter(exchange);
    }

    static String policy(String authority) {
        return authority != null && AUTHORITY.matcher(authority).matches()
                ? BASE + " ws://" + authority + " wss://" + authority : BASE;
    }
}
