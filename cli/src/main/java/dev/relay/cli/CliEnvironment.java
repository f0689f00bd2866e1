package dev.relay.cli;

import dev.relay.cli.terminal.Terminal;

import java.io.Console;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Map;

/**
 * Everything the commands take from the process, so tests can run them in-process with their own config file,
 * streams and (no) terminal.
 *
 * @param env            environment variables (RELAY_CONFIG, HOME, COLUMNS)
 * @param passwords      reads a password without echo; null when there is no console to read it from
 * @param stderrTerminal whether stderr is a terminal (progress bar rather than plain lines)
 * @param keys           whether single keys can be read from the terminal during a transfer
 */
public record CliEnvironment(Map<String, String> env, InputStream stdin, PrintStream out, PrintStream err,
                             PasswordReader passwords, boolean stderrTerminal, boolean keys) {

    @FunctionalInterface
    public interface PasswordReader {
        char[] read(String prompt);
    }

    public static CliEnvironment system() {
        Console console = System.console();
        PasswordReader passwords = console == null ? null : prompt -> console.readPassword("%s", prompt);
        return new CliEnvironment(System.getenv(), System.in, System.out, System.err, passwords,
                Terminal.isTerminal(2), console != null);
    }

    /** No terminal at all: what a script or a test sees. */
    public static CliEnvironment headless(Map<String, String> env, InputStream stdin, PrintStream out,
                                          PrintStream err) {
        return new CliEnvironment(env, stdin, out, err, null, false, false);
    }
}
