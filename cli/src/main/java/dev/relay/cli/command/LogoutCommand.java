package dev.relay.cli.command;

import dev.relay.cli.ExitCodes;
import dev.relay.cli.RelayCli;
import dev.relay.cli.config.Config;
import dev.relay.cli.config.ConfigStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.util.concurrent.Callable;

@Command(name = "logout", description = "Forget the stored token (the server URL and username stay).",
        mixinStandardHelpOptions = true)
public final class LogoutCommand implements Callable<Integer> {

    @ParentCommand
    RelayCli root;

    @Override
    public Integer call() throws IOException {
        ConfigStore store = ConfigStore.locate(root.environment().env());
        Config config = store.load();
        if (!config.loggedIn()) {
            root.environment().out().println("Not logged in.");
            return ExitCodes.OK;
        }
        store.save(config.withoutToken());
        root.environment().out().println("Logged out " + config.username() + ".");
        return ExitCodes.OK;
    }
}
