package dev.relay.cli.command;

import dev.relay.api.wire.AuthToken;
import dev.relay.client.RelayAuth;
import picocli.CommandLine.Command;

@Command(name = "register", description = "Create an account and log in to it.", mixinStandardHelpOptions = true)
public final class RegisterCommand extends AuthCommand {

    @Override
    AuthToken authenticate(RelayAuth auth, String username, String password) {
        return auth.register(username, password).block(timeout());
    }

    @Override
    boolean confirmPassword() {
        return true;
    }

    @Override
    String done() {
        return "Registered and logged in as";
    }
}
