package dev.relay.cli.command;

import dev.relay.api.wire.AuthToken;
import dev.relay.cli.CliEnvironment;
import dev.relay.cli.CliException;
import dev.relay.cli.ExitCodes;
import dev.relay.cli.RelayCli;
import dev.relay.cli.config.Config;
import dev.relay.cli.config.ConfigStore;
import dev.relay.client.RelayAuth;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Callable;

/** register and login: obtain a token over HTTP (RelayAuth) and remember it with the server and username. */
abstract class AuthCommand implements Callable<Integer> {

    @ParentCommand
    RelayCli root;

    @Parameters(index = "0", paramLabel = "USER", description = "Username (3-32 characters of A-Z a-z 0-9 . _ -).")
    String username;

    @Option(names = "--server", paramLabel = "URL",
            description = "The server's HTTP address (default: the stored one, else " + Config.DEFAULT_SERVER + ").")
    String server;

    @Option(names = "--password-stdin", description = "Read the password from the first line of standard input.")
    boolean passwordStdin;

    /** Asks the server for a token. */
    abstract AuthToken authenticate(RelayAuth auth, String username, String password);

    /** register asks twice on a terminal. */
    abstract boolean confirmPassword();

    abstract String done();

    @Override
    public Integer call() throws IOException {
        CliEnvironment env = root.environment();
        ConfigStore store = ConfigStore.locate(env.env());
        Config config = store.load();
        String base = normalise(server != null ? server : config.server());
        String password = readPassword(env);
        AuthToken token;
        try {
            token = authenticate(new RelayAuth(URI.create(base)), username, password);
        } catch (RuntimeException e) {
            if (ExitCodes.isUnreachable(e)) {
                throw new CliException(ExitCodes.UNREACHABLE, "cannot reach the server at " + base + ": "
                        + ExitCodes.message(e));
            }
            throw e;
        }
        store.save(config.withLogin(base, token.username(), token.token(), token.expiresAt()));
        env.out().println(done() + " " + token.username() + " on " + base + " (token valid until "
                + token.expiresAt().truncatedTo(ChronoUnit.SECONDS) + ")");
        return ExitCodes.OK;
    }

    static Duration timeout() {
        return Duration.ofSeconds(40);
    }

    /** http(s)://host[:port][/path] without a trailing slash; anything else is a usage error. */
    static String normalise(String url) {
        URI uri;
        try {
            uri = URI.create(url.trim());
        } catch (IllegalArgumentException e) {
            throw CliException.usage("not a URL: " + url);
        }
        if (!("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))
                || uri.getHost() == null) {
            throw CliException.usage("--server must be an http:// or https:// URL, e.g. " + Config.DEFAULT_SERVER
                    + ", not " + url);
        }
        return url.trim().replaceAll("/+$", "");
    }

    private String readPassword(CliEnvironment env) throws IOException {
        String password;
        if (passwordStdin) {
            String line = new BufferedReader(new InputStreamReader(env.stdin(), StandardCharsets.UTF_8)).readLine();
            if (line == null || line.isEmpty()) {
                throw CliException.usage("--password-stdin: standard input holds no password");
            }
            password = line;
        } else {
            if (env.passwords() == null) {
                throw CliException.usage("no terminal to read the password from: pass it with --password-stdin");
            }
            password = prompt(env, "Password for " + username + ": ");
            if (confirmPassword() && !password.equals(prompt(env, "Repeat the password: "))) {
                throw CliException.usage("the passwords differ");
            }
        }
        return password;
    }

    private static String prompt(CliEnvironment env, String text) {
        char[] chars = env.passwords().read(text);
        if (chars == null) {
            throw CliException.usage("no password entered");
        }
        return new String(chars);
    }
}
