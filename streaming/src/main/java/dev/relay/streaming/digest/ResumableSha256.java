package dev.relay.streaming.digest;

import org.slf4j.LoggerFactory;

import java.util.HexFormat;

/**
 * A SHA-256 whose intermediate state can be saved and restored, so the digest of a file uploaded over several
 * connections (and server lifetimes) is computed once, over the stream, never by re-reading stored bytes. Runs on
 * BouncyCastle LTS's native code where it loads and its state converts ({@link NativeSha256}), else on its Java
 * implementation ({@link BouncyCastleSha256}, about eight times slower: said once at start-up). No JVM flag is
 * involved either way. States are saved in this project's format ({@link Sha256State}), so any node resumes any
 * upload whichever engine saved it.
 */
public final class ResumableSha256 {

    private static final boolean NATIVE = NativeSha256.available();

    static {
        var log = LoggerFactory.getLogger(ResumableSha256.class);
        if (NATIVE) {
            log.info("SHA-256 of uploads: BouncyCastle native ({})", NativeSha256.variant());
        } else {
            log.warn("SHA-256 of uploads runs in Java, about eight times slower than native: {}",
                    NativeSha256.unavailableReason());
        }
    }

    private final Sha256Engine engine;

    private ResumableSha256(Sha256Engine engine) {
        this.engine = engine;
    }

    public static ResumableSha256 create() {
        return of(Sha256State.initial());
    }

    /**
     * Restores a state saved by {@link #state()}; a null or empty state starts a new digest.
     *
     * @throws IllegalArgumentException if {@code state} is not a complete, consistent saved state
     */
    public static ResumableSha256 restore(byte[] state) {
        return state == null || state.length == 0 ? create() : of(Sha256State.decode(state));
    }

    private static ResumableSha256 of(Sha256State state) {
        return new ResumableSha256(NATIVE ? new NativeSha256(state) : new BouncyCastleSha256(state));
    }

    /** Whether hashing runs on the native (hardware-accelerated) engine. */
    public static boolean accelerated() {
        return NATIVE;
    }

    public void update(byte[] bytes, int offset, int length) {
        engine.update(bytes, offset, length);
    }

    /** The encoded state (at most 105 bytes) after the bytes seen so far. */
    public byte[] state() {
        return engine.state().encode();
    }

    /** The lowercase hex digest of the bytes seen so far; the running state is left untouched. */
    public String hex() {
        return HexFormat.of().formatHex(engine.digest());
    }
}
