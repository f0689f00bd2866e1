package dev.relay.client;

/**
 * Netty's per-access checks on its buffers, which an application's {@code main} may relax before Netty loads.
 *
 * <p>WebSocket masking touches every byte of every frame, 8 bytes per {@code getLong}/{@code setLong}, and each call
 * checks bounds and that the buffer was not released. Measured on the upload path (bench/run.sh, 256 MiB): the
 * service spent about 1 s of CPU per GiB unmasking, a sixth of its CPU, and uploads ran 15 % faster without the
 * checks. They catch use-after-release bugs, so test suites keep them: a Spring Boot test never runs
 * {@code main}, and any {@code -Dio.netty.buffer.check...} given on the command line wins.
 */
public final class NettyBufferChecks {

    static final String ACCESSIBLE = "io.netty.buffer.checkAccessible";
    static final String BOUNDS = "io.netty.buffer.checkBounds";

    private NettyBufferChecks() {
    }

    /** Turns both checks off unless they were configured; call first thing in {@code main}. */
    public static void relaxUnlessConfigured() {
        for (String property : new String[]{ACCESSIBLE, BOUNDS}) {
            if (System.getProperty(property) == null) {
                System.setProperty(property, "false");
            }
        }
    }
}
