package dev.relay.cli.command;

import dev.relay.api.wire.UploadInfo;
import dev.relay.cli.Session;
import dev.relay.client.RelayClient;
import picocli.CommandLine.Command;
import reactor.core.publisher.Mono;

import java.io.IOException;

@Command(name = "cancel", mixinStandardHelpOptions = true,
        description = "Cancel an upload: the server deletes what it stored; it cannot be continued.")
public final class CancelCommand extends UploadActionCommand {

    @Override
    Mono<UploadInfo> apply(RelayClient client, String id) {
        return client.cancel(id);
    }

    @Override
    void applied(Session session, UploadInfo info) throws IOException {
        session.pendingUploads().removeUpload(info.id());
    }
}
