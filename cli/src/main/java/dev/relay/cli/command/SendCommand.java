package dev.relay.cli.command;

import dev.relay.cli.CliEnvironment;
import dev.relay.cli.ExitCodes;
import dev.relay.cli.RelayCli;
import dev.relay.cli.Session;
import dev.relay.cli.progress.ProgressLine;
import dev.relay.cli.progress.ProgressReporter;
import dev.relay.cli.progress.Units;
import dev.relay.cli.terminal.KeyReader;
import dev.relay.cli.terminal.Terminal;
import dev.relay.cli.transfer.Sender;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "send", mixinStandardHelpOptions = true,
        description = {"Upload FILE. Sending the same unchanged file again continues an interrupted upload from "
                + "what the server has stored.", "Prints the upload id (also the file id) on standard output.",
                "On a terminal: p pauses, r resumes, q or Ctrl-C stops (the upload stays resumable)."})
public final class SendCommand implements Callable<Integer> {

    @ParentCommand
    RelayCli root;

    @Parameters(index = "0", paramLabel = "FILE", description = "The file to upload.")
    Path file;

    @Option(names = "--to", paramLabel = "USER", description = "Send the file to this user.")
    String recipient;

    @Option(names = {"-q", "--quiet"}, description = "No progress display.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        CliEnvironment env = root.environment();
        try (Session session = Session.open(env)) {
            Sender sender = new Sender(session, env.err()::println);
            Sender.Target target = sender.prepare(file, recipient);
            if (target.alreadyComplete()) {
                env.err().println(file + " was already uploaded as " + target.id());
                env.out().println(target.id());
                return ExitCodes.OK;
            }
            Terminal.RawMode rawMode = null;
            if (env.keys()) {
                try {
                    rawMode = Terminal.rawMode();
                    env.err().println("keys: p pause, r resume, q stop (the upload stays resumable)");
                } catch (IOException e) {
                    env.err().println("no key controls: " + e.getMessage());
                }
            }
            boolean keys = rawMode != null;
            String id = target.id();
            ProgressReporter progress = root.progress(quiet, file.getFileName().toString(), target.size());
            Thread interrupted = new Thread(() -> {
                progress.finish(false);
                env.err().println("interrupted: run `relay send " + file + "` again to continue upload " + id);
            }, "relay-interrupted");
            Runtime.getRuntime().addShutdownHook(interrupted);
            Sender.Result result;
            try {
                result = sender.send(file, target, progress, controls -> {
                    if (keys) {
                        KeyReader.start(env.stdin(), key -> {
                            switch (Character.toLowerCase((char) key)) {
                                case 'p' -> controls.pause();
                                case 'r' -> controls.resume();
                                case 'q' -> controls.stop();
                                default -> { }
                            }
                        });
                    }
                });
            } finally {
                removeHook(interrupted);
                progress.finish(true);
                if (rawMode != null) {
                    rawMode.close();
                }
            }
            if (result.stopped()) {
                ProgressLine at = progress.snapshot();
                env.err().println("relay: stopped at " + Units.bytes(at.done()) + " ("
                        + Units.percent(at.done(), at.total()) + "); run `relay send " + file
                        + "` again to continue upload " + id);
                return ExitCodes.OTHER;
            }
            env.err().println("sent " + result.upload().name() + " (" + Units.bytes(result.upload().size())
                    + ") as " + id + ", sha256 " + result.upload().sha256() + " verified by the server; "
                    + result.receivedThisRun() + " bytes sent in this run, from byte " + result.resumedFrom());
            env.out().println(id);
            return ExitCodes.OK;
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // The JVM is already exiting: the hook runs and says how to continue.
        }
    }
}
