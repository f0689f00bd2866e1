package dev.relay.cli.command;

import dev.relay.api.wire.UploadInfo;
import dev.relay.cli.CliEnvironment;
import dev.relay.cli.ExitCodes;
import dev.relay.cli.RelayCli;
import dev.relay.cli.Session;
import dev.relay.cli.progress.Units;
import dev.relay.client.RelayClient;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.util.concurrent.Callable;

/** pause, resume and cancel: one request on an upload, then its new state. */
abstract class UploadActionCommand implements Callable<Integer> {

    @ParentCommand
    RelayCli root;

    @Parameters(index = "0", paramLabel = "ID", description = "The upload id (as `relay send` or `relay ls` shows it).")
    String id;

    abstract Mono<UploadInfo> apply(RelayClient client, String id);

    /** After a successful request, for the pending-uploads bookkeeping. */
    void applied(Session session, UploadInfo info) throws IOException {
    }

    @Override
    public Integer call() throws IOException {
        CliEnvironment env = root.environment();
        try (Session session = Session.open(env)) {
            UploadInfo info = session.await(apply(session.client(), id));
            applied(session, info);
            env.out().println(info.id() + " " + info.state() + ": " + Units.bytes(info.offset()) + " of "
                    + Units.bytes(info.size()) + " stored (" + Units.percent(info.offset(), info.size()) + ")");
            return ExitCodes.OK;
        }
    }
}
