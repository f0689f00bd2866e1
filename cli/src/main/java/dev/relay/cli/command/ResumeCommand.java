package dev.relay.cli.command;

import dev.relay.api.wire.UploadInfo;
import dev.relay.client.RelayClient;
import picocli.CommandLine.Command;
import reactor.core.publisher.Mono;

@Command(name = "resume", mixinStandardHelpOptions = true,
        description = "Resume a paused upload: a `relay send` waiting on it continues.")
public final class ResumeCommand extends UploadActionCommand {

    @Override
    Mono<UploadInfo> apply(RelayClient client, String id) {
        return client.resume(id);
    }
}
