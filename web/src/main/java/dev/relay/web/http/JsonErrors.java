package dev.relay.web.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.api.wire.ErrorBody;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

import java.nio.charset.StandardCharsets;

/**
 * The one serializer of {@link ErrorBody}: for RSocket error frames, and as HTTP JSON responses from filters and
 * routes, where no controller advice applies.
 */
public final class JsonErrors {

    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonErrors() {
    }

    public static Mono<Void> write(ServerWebExchange exchange, HttpStatus status, ErrorBody body) {
        return write(exchange.getResponse(), status, body);
    }

    public static Mono<Void> write(ServerHttpResponse response, HttpStatus status, ErrorBody body) {
        if (response.isCommitted()) {
            return Mono.empty();
        }
        response.setStatusCode(status);
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        return response.writeWith(Mono.just(response.bufferFactory().wrap(bytes(body))));
    }

    public static byte[] bytes(ErrorBody body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String json(ErrorBody body) {
        return new String(bytes(body), StandardCharsets.UTF_8);
    }
}
