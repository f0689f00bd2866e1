package dev.relay.cli.command;

import dev.relay.api.wire.AuthToken;
import dev.relay.client.RelayAuth;
import picocli.CommandLine.Command;

@Command(name = "login", description = "Log in; the token is kept in the config file.", mixinStandardHelpOptions = true)
public final class LoginCommand extends AuthCommand {

    @Override
    AuthToken authenticate(RelayAuth auth, String username, String password) {
        return auth.login(username, password).block(timeout());
    }

    @Override
    boolean confirmPassword() {
        return false;
    }

    @Override
    String done() {
        return "Logged in as";
    }
}
