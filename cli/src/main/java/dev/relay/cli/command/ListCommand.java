package dev.relay.cli.command;

import dev.relay.api.UploadState;
import dev.relay.api.wire.FileInfo;
import dev.relay.api.wire.UploadInfo;
import dev.relay.cli.CliEnvironment;
import dev.relay.cli.ExitCodes;
import dev.relay.cli.RelayCli;
import dev.relay.cli.Session;
import dev.relay.cli.progress.Units;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "ls", mixinStandardHelpOptions = true,
        description = {"List your uploads that are not completed (state, size, stored bytes) and your files.",
                "Completed uploads are listed as files."})
public final class ListCommand implements Callable<Integer> {

    @ParentCommand
    RelayCli root;

    @Option(names = {"-a", "--all"}, description = "Also list completed uploads among the uploads.")
    boolean all;

    @Override
    public Integer call() throws IOException {
        CliEnvironment env = root.environment();
        try (Session session = Session.open(env)) {
            List<UploadInfo> uploads = session.await(session.client().uploads().collectList());
            List<FileInfo> files = session.await(session.client().files().collectList());

            Table uploadTable = new Table("ID", "STATE", "SIZE", "STORED", "NAME");
            for (UploadInfo u : uploads) {
                if (all || u.state() != UploadState.COMPLETED) {
                    uploadTable.row(u.id(), u.state().name(), Units.bytes(u.size()),
                            Units.bytes(u.offset()) + " (" + Units.percent(u.offset(), u.size()) + ")", u.name());
                }
            }
            Table fileTable = new Table("ID", "SIZE", "CREATED", "NAME");
            for (FileInfo f : files) {
                fileTable.row(f.id(), Units.bytes(f.size()),
                        f.createdAt() == null ? "" : f.createdAt().truncatedTo(ChronoUnit.SECONDS).toString(),
                        f.name());
            }
            env.out().println("Uploads:");
            env.out().print(uploadTable.isEmpty() ? "  (none in progress)\n" : uploadTable.render());
            env.out().println();
            env.out().println("Files:");
            env.out().print(fileTable.isEmpty() ? "  (none)\n" : fileTable.render());
            return ExitCodes.OK;
        }
    }
}
