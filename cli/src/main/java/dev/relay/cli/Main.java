package dev.relay.cli;

import dev.relay.client.NettyBufferChecks;

/** The {@code relay} command. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        NettyBufferChecks.relaxUnlessConfigured();
        // Netty and Reactor threads would otherwise keep the JVM alive after the command is done.
        System.exit(RelayCli.execute(CliEnvironment.system(), args));
    }
}
