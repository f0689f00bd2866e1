package dev.relay.cli;

import dev.relay.cli.command.CancelCommand;
import dev.relay.cli.command.GetCommand;
import dev.relay.cli.command.ListCommand;
import dev.relay.cli.command.LoginCommand;
import dev.relay.cli.command.LogoutCommand;
import dev.relay.cli.command.PauseCommand;
import dev.relay.cli.command.RegisterCommand;
import dev.relay.cli.command.ResumeCommand;
import dev.relay.cli.command.SendCommand;
import dev.relay.cli.progress.ProgressReporter;
import dev.relay.cli.terminal.Terminal;
import dev.relay.client.RelayException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;

/** The root {@code relay} command: its subcommands, and how failures become one line and an exit code. */
@Command(name = "relay", mixinStandardHelpOptions = true, version = "relay 0.1.0",
        description = "Pausable, resumable file transfers with a Relay server.",
        subcommands = {RegisterCommand.class, LoginCommand.class, LogoutCommand.class, SendCommand.class,
                ListCommand.class, GetCommand.class, PauseCommand.class, ResumeCommand.class, CancelCommand.class},
        footer = {"", "Exit codes: 0 success, 1 other failure, 2 usage error, 3 not logged in or authentication "
                + "failed, 4 not found, 5 rejected by the server, 6 server unreachable."})
public final class RelayCli implements Runnable {

    private final CliEnvironment environment;

    @Spec
    CommandSpec spec;

    public RelayCli(CliEnvironment environment) {
        this.environment = environment;
    }

    public CliEnvironment environment() {
        return environment;
    }

    /** How a transfer shows its progress here. */
    public ProgressReporter progress(boolean quiet, String label, long total) {
        ProgressReporter.Mode mode = quiet ? ProgressReporter.Mode.QUIET
                : environment.stderrTerminal() ? ProgressReporter.Mode.BAR : ProgressReporter.Mode.PLAIN;
        int columns = mode == ProgressReporter.Mode.BAR ? Terminal.columns(environment.env()) : 80;
        return new ProgressReporter(environment.err(), mode, label, total, columns);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command");
    }

    /** Runs {@code relay ARGS...} and returns its exit code (no System.exit: tests run it in-process). */
    public static int execute(CliEnvironment environment, String... args) {
        CommandLine commandLine = new CommandLine(new RelayCli(environment));
        commandLine.setOut(new PrintWriter(environment.out(), true));
        commandLine.setErr(new PrintWriter(environment.err(), true));
        commandLine.getCommandSpec().exitCodeOnInvalidInput(ExitCodes.USAGE);
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            int code = ExitCodes.of(e);
            String message = ExitCodes.message(e);
            if (code == ExitCodes.AUTH && ExitCodes.unwrap(e) instanceof RelayException) {
                message += " (run `relay login USER`)";
            }
            if (code == ExitCodes.USAGE) {
                cmd.getErr().println("relay: " + message);
                cmd.getErr().println("Try `" + cmd.getCommandSpec().qualifiedName() + " --help`.");
            } else {
                cmd.getErr().println("relay: " + message);
            }
            cmd.getErr().flush();
            return code;
        });
        return commandLine.execute(args);
    }
}
