package dev.relay.web.http;

import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How uploaded bytes are served: as data a browser never runs in the service's origin. Only passive types on an
 * allow-list keep the type the uploader declared; anything else (HTML, SVG, XML, scripts, styles, unknown or
 * malformed types) is served as {@code application/octet-stream}. Every response is an attachment, forbids sniffing
 * and carries a sandboxing Content-Security-Policy, so even a browser that renders it gets an opaque origin with no
 * script, style or subresource.
 */
final class ServedContent {

    /** Sandbox without allowances (no scripts, forms, same-origin) and nothing may load. */
    static final String POLICY = "sandbox; default-src 'none'";

    /** Passive types served as declared: images a browser decodes as images only, plain text, PDF. */
    private static final Set<String> PASSIVE = Set.of("image/png", "image/jpeg", "image/gif", "image/webp",
            "image/avif", "image/bmp", "text/plain", "application/pdf");

    private ServedContent() {
    }

    /** The headers that make the response inert, with its served type. */
    static void apply(HttpHeaders headers, String declaredType) {
        headers.setContentType(servedType(declaredType));
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("Content-Security-Policy", POLICY);
    }

    static MediaType servedType(String declared) {
        MediaType type;
        try {
            type = MediaType.parseMediaType(declared);
        } catch (RuntimeException e) {
            return MediaType.APPLICATION_OCTET_STREAM;
        }
        String base = (type.getType() + "/" + type.getSubtype()).toLowerCase(Locale.ROOT);
        boolean media = (type.getType().equalsIgnoreCase("audio") || type.getType().equalsIgnoreCase("video"))
                && !type.isWildcardSubtype();
        if (!media && !PASSIVE.contains(base)) {
            return MediaType.APPLICATION_OCTET_STREAM;
        }
        // Parameters only where they mean something to a browser (a text's charset); they are the uploader's text.
        String charset = type.getParameter("charset");
        if (base.equals("text/plain") && charset != null && charset.matches("[A-Za-z0-9._-]{1,40}")) {
            return new MediaType("text", "plain", Map.of("charset", charset));
        }
        return MediaType.parseMediaType(base);
    }
}
