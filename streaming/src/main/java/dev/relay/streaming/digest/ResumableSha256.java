package dev.relay.streaming.digest;

import java.util.HexFormat;

/**
 * A SHA-256 whose intermediate state can be saved and restored, so the digest of a file uploaded over several
 * connections (and server lifetimes) is computed once, over the stream, never by re-reading stored bytes. Runs on
 * BouncyCastle ({@link BouncyCastleSha256}); states are saved in this project's format ({@link Sha256State}).
 */
public final class ResumableSha256 {

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
        return new ResumableSha256(new BouncyCastleSha256(state));
    }

    /**
     * Whether hashing runs on the JDK's hardware-accelerated SHA-256. Always false since that needed
     * {@code --add-opens}: BouncyCastle's implementation is plain Java. Kept so callers need no change.
     */
    public static boolean accelerated() {
        return false;
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
