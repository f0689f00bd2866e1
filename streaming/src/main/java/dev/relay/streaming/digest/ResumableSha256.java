package dev.relay.streaming.digest;

import org.slf4j.LoggerFactory;

import java.util.HexFormat;

/**
 * A SHA-256 whose intermediate state can be saved and restored, so the digest of a file uploaded over several
 * connections (and server lifetimes) is computed once, over the stream, never by re-reading stored bytes. Runs on
 * the JDK's hardware-accelerated implementation when the JVM allows it ({@link JdkSha256}), else in plain Java.
 */
public final class ResumableSha256 {

    static {
        if (!JdkSha256.available()) {
            LoggerFactory.getLogger(ResumableSha256.class).warn("SHA-256 runs in plain Java, several times slower:"
                    + " start the JVM with --add-opens java.base/sun.security.provider=ALL-UNNAMED to use the JDK's"
                    + " accelerated implementation ({})", JdkSha256.unavailableReason().toString());
        }
    }

    private final Sha256Engine engine;

    private ResumableSha256(Sha256Engine engine) {
        this.engine = engine;
    }

    public static ResumableSha256 create() {
        return of(Sha256State.initial());
    }

    /** Restores a state saved by {@link #state()}; a null or empty state starts a new digest. */
    public static ResumableSha256 restore(byte[] state) {
        return state == null || state.length == 0 ? create() : of(Sha256State.decode(state));
    }

    private static ResumableSha256 of(Sha256State state) {
        return new ResumableSha256(JdkSha256.available() ? new JdkSha256(state) : new PortableSha256(state));
    }

    /** Whether the accelerated implementation is in use. */
    public static boolean accelerated() {
        return JdkSha256.available();
    }

    public void update(byte[] bytes, int offset, int length) {
        engine.update(bytes, offset, length);
    }

    /** The encoded state (at most 106 bytes) after the bytes seen so far. */
    public byte[] state() {
        return engine.state().encode();
    }

    /** The lowercase hex digest of the bytes seen so far; the running state is left untouched. */
    public String hex() {
        return HexFormat.of().formatHex(engine.digest());
    }
}
