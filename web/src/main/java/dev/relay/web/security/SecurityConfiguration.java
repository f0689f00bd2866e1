package dev.relay.web.security;

import com.nimbusds.jose.jwk.source.ImmutableSecret;
import dev.relay.api.ErrorCode;
import dev.relay.api.wire.ErrorBody;
import dev.relay.web.http.JsonErrors;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.actuate.autoconfigure.security.reactive.EndpointRequest;
import org.springframework.boot.actuate.health.HealthEndpoint;
import org.springframework.boot.actuate.info.InfoEndpoint;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.DisabledException;
import org.springframework.security.config.annotation.rsocket.EnableRSocketSecurity;
import org.springframework.security.config.annotation.rsocket.RSocketSecurity;
import org.springframework.security.config.annotation.web.reactive.EnableWebFluxSecurity;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtEncoder;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusJwtEncoder;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.rsocket.core.PayloadSocketAcceptorInterceptor;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.util.MimeType;
import dev.relay.streaming.port.AccountRepository;
import dev.relay.streaming.port.DownloadLinkUses;
import dev.relay.streaming.port.InviteRepository;
import dev.relay.streaming.port.RateLimits;
import dev.relay.web.rsocket.ConnectionLimits;
import dev.relay.web.rsocket.RequestThrottle;
import dev.relay.web.rsocket.WireErrors;
import io.rsocket.SocketAcceptor;
import java.util.List;
import java.util.Objects;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import java.time.Clock;
import java.util.Base64;

/**
 * Authentication for both doors: HTTP requests carry {@code Authorization: Bearer <jwt>}; RSocket connections carry
 * the same token as bearer authentication metadata in SETUP (browsers cannot set WebSocket headers), checked by
 * spring-security-rsocket for the connection and for every request and payload on it.
 *
 * <p>CSRF protection is off on purpose: no cookie or session authenticates anything, so a cross-site request has no
 * ambient credential to abuse. The WebSocket upgrade is guarded by an Origin check instead.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebFluxSecurity
@EnableRSocketSecurity
@EnableConfigurationProperties(SecurityProperties.class)
class SecurityConfiguration {

    @Bean
    SecretKey jwtKey(SecurityProperties properties) {
        String secret = properties.jwtSecret();
        if (secret == null || secret.isBlank()) {
            throw new IllegalStateException("relay.security.jwt-secret is not set: set RELAY_SECURITY_JWT_SECRET to a"
                    + " base64 key of at least 32 bytes (for example: openssl rand -base64 32).");
        }
        byte[] key = Base64.getDecoder().decode(secret.strip());
        if (key.length < 32) {
            throw new IllegalStateException("relay.security.jwt-secret must decode to at least 32 bytes; it has "
                    + key.length + ".");
        }
        return new SecretKeySpec(key, "HmacSHA256");
    }

    @Bean
    JwtEncoder jwtEncoder(SecretKey key) {
        return new NimbusJwtEncoder(new ImmutableSecret<>(key));
    }

    @Bean
    ReactiveJwtDecoder jwtDecoder(SecretKey key) {
        NimbusReactiveJwtDecoder decoder = NimbusReactiveJwtDecoder.withSecretKey(key)
                .macAlgorithm(MacAlgorithm.HS256)
                .build();
        // The default validators check exp only when present: a token must carry one, or it would never expire.
        decoder.setJwtValidator(new DelegatingOAuth2TokenValidator<>(
                JwtValidators.createDefaultWithIssuer(JwtTokens.ISSUER),
                new JwtClaimValidator<Object>(JwtClaimNames.EXP, Objects::nonNull)));
        return decoder;
    }

    @Bean
    AccountAuthenticationManager accountAuthenticationManager(ReactiveJwtDecoder decoder, AccountRepository accounts) {
        return new AccountAuthenticationManager(decoder, accounts);
    }

    @Bean
    DownloadLinks downloadLinks(JwtEncoder encoder, ReactiveJwtDecoder decoder, AccountRepository accounts,
                                DownloadLinkUses uses, SecurityProperties properties, Clock clock) {
        return new DownloadLinks(encoder, decoder, accounts, uses, properties.downloadLinkTtl(),
                properties.downloadLinkWindow(), clock);
    }

    @Bean
    JwtTokens jwtTokens(JwtEncoder encoder, SecurityProperties properties, Clock clock) {
        return new JwtTokens(encoder, properties.tokenTtl(), clock);
    }

    @Bean
    Passwords passwords(SecurityProperties properties) {
        return new Passwords(properties.hashThreads(), properties.hashQueue());
    }

    @Bean
    Admission admission(AccountRepository accounts, InviteRepository invites, SecurityProperties properties,
                        SecretKey key, Clock clock) {
        return new Admission(accounts, invites, properties, key, clock);
    }

    @Bean
    FirstAdmin firstAdmin(AccountRepository accounts, Passwords passwords, Admission admission,
                          SecurityProperties properties) {
        return new FirstAdmin(accounts, passwords, admission, properties);
    }

    @Bean
    OriginCheckRouteProvider originCheck(SecurityProperties properties,
                                         @Value("${spring.rsocket.server.mapping-path:/rsocket}") String rsocketPath) {
        return new OriginCheckRouteProvider(rsocketPath, new OriginPolicy(properties.allowedOrigins()));
    }

    @Bean
    SecurityWebFilterChain httpSecurity(ServerHttpSecurity http, AccountAuthenticationManager authentication,
                                        @Value("${spring.rsocket.server.mapping-path:/rsocket}") String rsocketPath) {
        return http
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .authorizeExchange(auth -> auth
                        .pathMatchers(HttpMethod.POST, "/api/auth/register", "/api/auth/login").permitAll()
                        .pathMatchers(rsocketPath).permitAll()
                        // Health (probes included) and info for load balancers, without a token; any other actuator
                        // endpoint someone exposes by configuration stays closed.
                        .matchers(EndpointRequest.to(HealthEndpoint.class, InfoEndpoint.class)).permitAll()
                        .matchers(EndpointRequest.toAnyEndpoint()).denyAll()
                        // A download link authenticates itself (?link=); a request without one needs a bearer token,
                        // which the controller then requires.
                        .pathMatchers(HttpMethod.GET, "/api/files/*/content").permitAll()
                        .pathMatchers("/api/**").authenticated()
                        .anyExchange().permitAll())
                .oauth2ResourceServer(oauth -> oauth
                        .jwt(jwt -> jwt.authenticationManager(authentication))
                        .authenticationEntryPoint((exchange, e) -> JsonErrors.write(exchange, HttpStatus.UNAUTHORIZED,
                                e instanceof DisabledException
                                        ? ErrorBody.of(ErrorCode.USER_DISABLED, "This account is disabled; ask an"
                                        + " administrator.")
                                        : ErrorBody.of(ErrorCode.UNAUTHENTICATED, "A valid bearer token is required: "
                                        + e.getMessage() + ". Log in at POST /api/auth/login.")))
                        .accessDeniedHandler((exchange, e) -> JsonErrors.write(exchange, HttpStatus.FORBIDDEN,
                                ErrorBody.of(ErrorCode.FORBIDDEN, "Access denied."))))
                .exceptionHandling(ex -> ex
                        .authenticationEntryPoint((exchange, e) -> JsonErrors.write(exchange, HttpStatus.UNAUTHORIZED,
                                ErrorBody.of(ErrorCode.UNAUTHENTICATED, "A valid bearer token is required; log in at"
                                        + " POST /api/auth/login."))))
                .build();
    }

    /**
     * Every RSocket exchange must be authenticated: SETUP (where clients send the token), each request, and each
     * payload of a channel ({@code anyExchange} covers those; they carry no route).
     */
    @Bean
    PayloadSocketAcceptorInterceptor rsocketSecurity(RSocketSecurity rsocket,
                                                     AccountAuthenticationManager authentication,
                                                     RateLimits rate, ConnectionLimits limits) {
        PayloadSocketAcceptorInterceptor secured = rsocket
                .addPayloadInterceptor(new RequestThrottle(rate, limits))
                .authorizePayload(authorize -> authorize
                        .setup().authenticated()
                        .anyRequest().authenticated()
                        .anyExchange().authenticated())
                .jwt(jwt -> jwt.authenticationManager(authentication))
                .build();
        return new CodedSetupRejection(secured);
    }

    /** Makes a refused SETUP carry the same coded JSON as every other error (REJECTED_SETUP's data). */
    private static final class CodedSetupRejection extends PayloadSocketAcceptorInterceptor {

        private final PayloadSocketAcceptorInterceptor delegate;

        CodedSetupRejection(PayloadSocketAcceptorInterceptor delegate) {
            super(List.of());
            this.delegate = delegate;
        }

        @Override
        public SocketAcceptor apply(SocketAcceptor acceptor) {
            SocketAcceptor secured = delegate.apply(acceptor);
            return (setup, sendingSocket) -> secured.accept(setup, sendingSocket)
                    .onErrorMap(WireErrors::toRejectedSetup);
        }

        @Override
        public void setDefaultDataMimeType(MimeType defaultDataMimeType) {
            delegate.setDefaultDataMimeType(defaultDataMimeType);
        }

        @Override
        public void setDefaultMetadataMimeType(MimeType defaultMetadataMimeType) {
            delegate.setDefaultMetadataMimeType(defaultMetadataMimeType);
        }
    }
}
