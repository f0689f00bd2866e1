package dev.relay.cli.command;

import dev.relay.api.wire.UploadInfo;
import dev.relay.client.RelayClient;
import picocli.CommandLine.Command;
import reactor.core.publisher.Mono;

@Command(name = "pause", mixinStandardHelpOptions = true,
        description = "Pause an upload: the server stops granting credit (also to a `relay send` running elsewhere).")
public final class PauseCommand extends UploadActionCommand {

    @Override
    Mono<UploadInfo> apply(RelayClient client, String id) {
        return client.pause(id);
    }
}
