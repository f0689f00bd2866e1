package dev.relay.web;

import dev.relay.api.ErrorCode;
import dev.relay.api.UploadState;
import dev.relay.api.wire.AuthToken;
import dev.relay.api.wire.Event;
import dev.relay.api.wire.UploadTicket;
import dev.relay.api.wire.UserInfo;
import dev.relay.client.FileTransfers;
import dev.relay.client.RelayAuth;
import dev.relay.client.RelayClient;
import dev.relay.client.RelayException;
import dev.relay.web.support.EventProbe;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;
import reactor.core.publisher.Mono;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Roles, profiles, disabling and password changes: revocation takes effect at once, on open connections too. */
@TestPropertySource(properties = {"relay.security.admin.username=chief",
        "relay.security.admin.password=" + AccountsIntegrationTests.PASSWORD})
class AccountsIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final String PASSWORD = "correct horse battery";

    @Test
    void anAdminDisablingAUserClosesTheirConnectionsAndRevokesTheirTokenAtOnce() throws Exception {
        AuthToken admin = chief();
        assertThat(admin.role()).isEqualTo(UserInfo.Role.ADMIN);
        AuthToken alice = newUser();
        AuthToken bob = newUser();
        assertThat(bob.role()).isEqualTo(UserInfo.Role.USER);
        RelayClient adminClient = client(admin);
        RelayClient bobClient = RelayClient.connect(ws(), bob.token());
        EventProbe bobEvents = EventProbe.open(bobClient, 0L);
        client(alice).sendText(bob.userId(), "hi").block(TIMEOUT);
        bobEvents.await(e -> e.type() == Event.Type.MESSAGE, TIMEOUT);

        assertCode(client(alice).disableUser(bob.userId()), ErrorCode.ADMIN_ONLY);
        UserInfo disabled = adminClient.disableUser(bob.userId()).block(TIMEOUT);
        assertThat(disabled.disabled()).isTrue();

        // Bob's open connection is closed by the server, and his token opens nothing any more.
        bobEvents.awaitEnd(TIMEOUT);
        closed(bobClient);
        assertThatThrownBy(() -> RelayClient.connect(ws(), bob.token()).me().block(TIMEOUT))
                .isInstanceOfSatisfying(RelayException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.USER_DISABLED));
        assertThat(httpStatus("/api/files/x/content", bob.token())).isEqualTo(401);
        assertThatThrownBy(() -> new RelayAuth(http()).login(bob.username(), PASSWORD).block(TIMEOUT))
                .isInstanceOfSatisfying(RelayException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.USER_DISABLED));

        // Others no longer see him nor can reach him; administrators still do.
        RelayClient aliceClient = client(alice);
        assertThat(aliceClient.users().map(UserInfo::id).collectList().block(TIMEOUT)).doesNotContain(bob.userId());
        assertThat(aliceClient.searchUsers(bob.username()).collectList().block(TIMEOUT)).isEmpty();
        assertCode(aliceClient.sendText(bob.userId(), "hello?"), ErrorCode.USER_DISABLED);
        assertThat(adminClient.adminUsers().filter(u -> u.id().equals(bob.userId())).blockFirst(TIMEOUT).disabled())
                .isTrue();

        adminClient.enableUser(bob.userId()).block(TIMEOUT);
        AuthToken again = new RelayAuth(http()).login(bob.username(), PASSWORD).block(TIMEOUT);
        assertThat(client(again).history(alice.userId(), null, 10).collectList().block(TIMEOUT)).hasSize(1);
        // A token from before the disabling stays revoked.
        assertThatThrownBy(() -> RelayClient.connect(ws(), bob.token()).me().block(TIMEOUT))
                .isInstanceOf(RelayException.class);
    }

    @Test
    void changingThePasswordRevokesEveryEarlierTokenAndClosesTheirConnections() throws Exception {
        AuthToken carol = newUser();
        RelayClient open = RelayClient.connect(ws(), carol.token());
        assertThat(open.me().block(TIMEOUT).username()).isEqualTo(carol.username());

        assertThatThrownBy(() -> new RelayAuth(http()).changePassword(carol.token(), "wrong password", "new password 1")
                .block(TIMEOUT)).isInstanceOfSatisfying(RelayException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED));
        AuthToken renewed = new RelayAuth(http()).changePassword(carol.token(), PASSWORD, "new password 1")
                .block(TIMEOUT);

        closed(open);
        assertThatThrownBy(() -> RelayClient.connect(ws(), carol.token()).me().block(TIMEOUT))
                .isInstanceOfSatisfying(RelayException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED));
        assertThat(httpStatus("/api/files/x/content", carol.token())).isEqualTo(401);
        assertThat(client(renewed).me().block(TIMEOUT).id()).isEqualTo(carol.userId());
        assertThat(new RelayAuth(http()).login(carol.username(), "new password 1").block(TIMEOUT).userId())
                .isEqualTo(carol.userId());
    }

    @Test
    void profilesAndTheDirectory() {
        AuthToken dana = newUser();
        AuthToken erin = newUser();
        RelayClient erinClient = client(erin);
        EventProbe erinEvents = EventProbe.open(erinClient, 0L);
        client(dana).sendText(erin.userId(), "ping").block(TIMEOUT);
        erinEvents.await(e -> e.type() == Event.Type.MESSAGE, TIMEOUT);

        UserInfo renamed = client(dana).updateProfile("  Dana Scully ").block(TIMEOUT);
        assertThat(renamed.displayName()).isEqualTo("Dana Scully");
        erinEvents.await(e -> e.type() == Event.Type.USER && e.user().id().equals(dana.userId())
                && e.user().displayName().equals("Dana Scully"), TIMEOUT);
        assertThat(erinClient.searchUsers("scul").map(UserInfo::id).collectList().block(TIMEOUT))
                .containsExactly(dana.userId());
        assertThat(erinClient.searchUsers(dana.username().toUpperCase()).map(UserInfo::id).collectList()
                .block(TIMEOUT)).containsExactly(dana.userId());
        assertCode(erinClient.updateProfile(" "), ErrorCode.INVALID_REQUEST);
        assertCode(erinClient.updateProfile("x".repeat(65)), ErrorCode.INVALID_REQUEST);
        assertCode(erinClient.searchUsers("").then(), ErrorCode.INVALID_REQUEST);
    }

    @Test
    void anAdminCanDeleteAnyFileAndItsMessageShowsItDeleted() throws Exception {
        RelayClient adminClient = client(chief());
        AuthToken frank = newUser();
        AuthToken grace = newUser();
        RelayClient frankClient = client(frank);
        EventProbe graceEvents = EventProbe.open(client(grace), 0L);
        Path path = randomFile(2 * CHUNK + 5, 99);
        UploadTicket ticket = frankClient.createUpload(FileTransfers.describe(path, null)
                .withRecipient(grace.username())).block(TIMEOUT);
        new FileTransfers(frankClient).resume(ticket.id(), path, CHUNK, e -> { }).block(TIMEOUT);

        assertThat(adminClient.file(ticket.id()).block(TIMEOUT).size()).isEqualTo(2 * CHUNK + 5);
        assertCode(client(grace).deleteFile(ticket.id()), ErrorCode.ADMIN_ONLY);
        adminClient.deleteFile(ticket.id()).block(TIMEOUT);
        graceEvents.await(e -> e.type() == Event.Type.MESSAGE_UPDATED && e.message().id() == ticket.messageId()
                && e.message().file().state() == UploadState.DELETED && !e.message().deleted(), TIMEOUT);
        assertCode(frankClient.file(ticket.id()), ErrorCode.NOT_FOUND);
        assertCode(adminClient.read(ticket.id(), 0).then(), ErrorCode.NOT_FOUND);
    }

    /** Waits until the server has closed the connection (it ends it with a connection error frame). */
    private static void closed(RelayClient client) {
        client.rsocket().flatMap(r -> r.onClose()).onErrorResume(e -> Mono.empty()).block(TIMEOUT);
    }

    /** The operator's administrator, made at start-up. */
    private AuthToken chief() {
        return new RelayAuth(http()).login("chief", PASSWORD).block(TIMEOUT);
    }

    private int httpStatus(String path, String token) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(http() + path))
                .header("Authorization", "Bearer " + token).GET().build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static void assertCode(Mono<?> call, ErrorCode code) {
        ChatIntegrationTests.assertCode(call, code);
    }
}
