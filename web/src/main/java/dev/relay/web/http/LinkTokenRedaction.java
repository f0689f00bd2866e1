package dev.relay.web.http;

import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.HttpHandlerDecoratorFactory;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import org.springframework.web.util.UriComponentsBuilder;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps download-link tokens out of Spring's logs: a download link carries its token in the query
 * ({@code ?link=<token>}), and Spring logs a request's URI with its query (an error after the response was committed,
 * such as storage failing in the middle of a download, is logged at ERROR with it; request logging at DEBUG). Before
 * Spring sees the request, the token moves from the query to an internal header that only FileContentController
 * reads, and the query says {@code link=redacted}. Reactor Netty's access log sits below Spring; see
 * {@link RedactedAccessLog}.
 */
@Component
class LinkTokenRedaction implements HttpHandlerDecoratorFactory {

    /** Internal: set here only; a client's own header of this name is dropped. */
    static final String HEADER = "X-Relay-Download-Link";
    static final String MASK = "redacted";
    private static final Pattern LINK = Pattern.compile("(^|&)link=([^&]*)");

    @Override
    public HttpHandler apply(HttpHandler handler) {
        return (request, response) -> handler.handle(redact(request), response);
    }

    static ServerHttpRequest redact(ServerHttpRequest request) {
        String query = request.getURI().getRawQuery();
        boolean linked = query != null && query.contains("link=");
        if (!linked && !request.getHeaders().containsKey(HEADER)) {
            return request;
        }
        ServerHttpRequest.Builder mutated = request.mutate().headers(h -> h.remove(HEADER));
        Matcher m = linked ? LINK.matcher(query) : null;
        if (m != null && m.find()) {
            String token = URLDecoder.decode(m.group(2), StandardCharsets.UTF_8);
            mutated.uri(withQuery(request.getURI(), m.replaceAll("$1link=" + MASK))).header(HEADER, token);
        }
        return mutated.build();
    }

    private static URI withQuery(URI uri, String query) {
        try {
            return UriComponentsBuilder.fromUri(uri).replaceQuery(query).build(true).toUri();
        } catch (IllegalArgumentException e) {
            // Spring checks the encoding more strictly than the request's URI was: then no query at all (the
            // download endpoint reads none besides the link).
            return UriComponentsBuilder.fromUri(uri).replaceQuery(null).build(true).toUri();
        }
    }

    /** {@code uri} with each link token masked, for logs that see the raw URI. */
    static String mask(CharSequence uri) {
        String s = uri.toString();
        int q = s.indexOf('?');
        if (q < 0 || !s.contains("link=")) {
            return s;
        }
        return s.substring(0, q + 1) + LINK.matcher(s.substring(q + 1)).replaceAll("$1link=" + MASK);
    }
}
