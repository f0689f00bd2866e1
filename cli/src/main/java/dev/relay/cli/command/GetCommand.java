package dev.relay.cli.command;

import dev.relay.api.wire.FileInfo;
import dev.relay.cli.CliEnvironment;
import dev.relay.cli.ExitCodes;
import dev.relay.cli.RelayCli;
import dev.relay.cli.Session;
import dev.relay.cli.progress.ProgressReporter;
import dev.relay.cli.progress.Units;
import dev.relay.cli.transfer.Getter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "get", mixinStandardHelpOptions = true,
        description = {"Download file ID. If the target exists and is shorter than the file, the download "
                + "continues from its length; the SHA-256 is verified at the end.",
                "Prints the path written on standard output."})
public final class GetCommand implements Callable<Integer> {

    @ParentCommand
    RelayCli root;

    @Parameters(index = "0", paramLabel = "ID", description = "The file id (as `relay ls` shows it).")
    String id;

    @Option(names = {"-o", "--output"}, paramLabel = "PATH",
            description = "Where to write it (a directory keeps the file's name; default ./NAME).")
    Path output;

    @Option(names = {"-q", "--quiet"}, description = "No progress display.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        CliEnvironment env = root.environment();
        try (Session session = Session.open(env)) {
            Getter getter = new Getter(session);
            FileInfo info = getter.describe(id);
            Path target = Getter.target(output, info);
            long have = Files.exists(target) ? Files.size(target) : 0;
            if (have > 0 && have < info.size()) {
                env.err().println("continuing " + target + " from " + Units.bytes(have) + " ("
                        + Units.percent(have, info.size()) + ")");
            }
            ProgressReporter progress = root.progress(quiet, info.name(), info.size());
            FileInfo done;
            try {
                done = getter.get(info, target, progress);
            } finally {
                progress.finish(true);
            }
            env.err().println("got " + done.name() + " (" + Units.bytes(done.size()) + ") into " + target
                    + ", sha256 " + done.sha256() + " verified");
            env.out().println(target);
            return ExitCodes.OK;
        }
    }
}
