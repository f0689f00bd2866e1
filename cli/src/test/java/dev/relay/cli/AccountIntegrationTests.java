package dev.relay.cli;

import dev.relay.cli.config.Config;
import dev.relay.cli.support.CliIntegrationTest;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class AccountIntegrationTests extends CliIntegrationTest {

    @Test
    void registerLoginAndLogoutKeepTheTokenInAPrivateConfigFile() throws Exception {
        String name = newUsername();
        Path config = configFile("alice");

        Run registered = relayWithInput(config, PASSWORD + "\n", "register", name, "--server", serverUrl() + "/",
                "--password-stdin");
        assertThat(registered.exit()).as(registered.toString()).isZero();
        assertThat(registered.out()).contains("Registered and logged in as " + name);
        Config afterRegister = config(config);
        assertThat(afterRegister.server()).isEqualTo(serverUrl());
        assertThat(afterRegister.username()).isEqualTo(name);
        assertThat(afterRegister.expiresAt()).isAfter(Instant.now());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config))).isEqualTo("rw-------");

        Run logout = relay(config, "logout");
        assertThat(logout.exit()).isZero();
        assertThat(config(config).token()).isNull();
        Run ls = relay(config, "ls");
        assertThat(ls.exit()).as(ls.toString()).isEqualTo(ExitCodes.AUTH);
        assertThat(ls.err()).isEqualTo("relay: not logged in: run `relay login USER` first\n");

        // The server is remembered: login needs no --server now.
        Run login = relayWithInput(config, PASSWORD + "\n", "login", name, "--password-stdin");
        assertThat(login.exit()).as(login.toString()).isZero();
        assertThat(config(config).token()).isNotBlank();
        Run listed = relay(config, "ls");
        assertThat(listed.exit()).as(listed.toString()).isZero();
        assertThat(listed.out()).contains("Uploads:", "(none in progress)", "Files:", "(none)");
    }

    @Test
    void aWrongPasswordIsAnAuthenticationFailure() {
        Path config = registeredUser();
        String name = config.getParent().getFileName().toString();

        Run run = relayWithInput(config, "not the password\n", "login", name, "--password-stdin");

        assertThat(run.exit()).as(run.toString()).isEqualTo(ExitCodes.AUTH);
        assertThat(run.err()).startsWith("relay: UNAUTHENTICATED: ").doesNotContain("\tat ");
        assertThat(run.err().lines()).hasSize(1);
    }

    @Test
    void aTakenUsernameIsRejected() {
        Path config = registeredUser();
        String name = config.getParent().getFileName().toString();

        Run run = relayWithInput(configFile("other"), PASSWORD + "\n", "register", name, "--server", serverUrl(),
                "--password-stdin");

        assertThat(run.exit()).as(run.toString()).isEqualTo(ExitCodes.REJECTED);
        assertThat(run.err()).startsWith("relay: CONFLICT: ");
    }

    @Test
    void aTokenTheServerRefusesIsAnAuthenticationFailure() throws Exception {
        Path config = registeredUser();
        String token = config(config).token();
        String forged = token.substring(0, token.lastIndexOf('.') + 1) + "A".repeat(43);
        Files.writeString(config, Files.readString(config).replace(token, forged));

        Run run = relay(config, "ls");

        assertThat(run.exit()).as(run.toString()).isEqualTo(ExitCodes.AUTH);
        assertThat(run.err()).startsWith("relay: UNAUTHENTICATED").contains("relay login");
    }

    @Test
    void withoutLoginEveryServerCommandExitsWith3() {
        Path config = configFile("nobody");
        String id = UUID.randomUUID().toString();
        for (String[] args : new String[][]{{"ls"}, {"send", "pom.xml"}, {"get", id}, {"pause", id},
                {"resume", id}, {"cancel", id}}) {
            Run run = relay(config, args);
            assertThat(run.exit()).as(String.join(" ", args) + ": " + run).isEqualTo(ExitCodes.AUTH);
        }
    }

    @Test
    void anUnreachableServerExitsWith6() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String nowhere = "http://127.0.0.1:" + closedPort;

        Run login = relayWithInput(configFile("x"), PASSWORD + "\n", "login", "someone", "--server", nowhere,
                "--password-stdin");
        assertThat(login.exit()).as(login.toString()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(login.err()).startsWith("relay: cannot reach the server at " + nowhere);

        // A valid login whose server has gone away.
        Path config = registeredUser();
        Files.writeString(config, Files.readString(config).replace(serverUrl(), nowhere));
        Run ls = relay(config, "ls");
        assertThat(ls.exit()).as(ls.toString()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(ls.err()).startsWith("relay: cannot reach the server at " + nowhere);
        assertThat(ls.err().lines()).hasSize(1);
    }

    @Test
    void usageErrorsExitWith2() {
        Path config = registeredUser();
        assertThat(relay(config).exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(relay(config, "frobnicate").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(relay(config, "get").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(relay(config, "login", "x", "--server", "ftp://host").exit()).isEqualTo(ExitCodes.USAGE);
        // No terminal to read a password from, and no --password-stdin.
        Run noPassword = relay(config, "login", "x");
        assertThat(noPassword.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(noPassword.err()).contains("--password-stdin");
        Run missingFile = relay(config, "send", "no/such/file");
        assertThat(missingFile.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(missingFile.err()).startsWith("relay: not a readable file: no/such/file");
        assertThat(relay(config, "--help").exit()).isZero();
    }
}
