package dev.relay.streaming.digest;

import org.bouncycastle.crypto.digests.EncodableDigest;
import org.bouncycastle.crypto.digests.SHA256Digest;

import java.util.HexFormat;

/**
 * A SHA-256 whose intermediate state can be saved and restored, so the digest of a file uploaded over several
 * connections (and server lifetimes) is computed once over the stream, never by re-reading stored bytes. The JDK's
 * MessageDigest cannot export its state; BouncyCastle's can.
 */
public final class ResumableSha256 {

    private final SHA256Digest digest;

    private ResumableSha256(SHA256Digest digest) {
        this.digest = digest;
    }

    public static ResumableSha256 create() {
        return new ResumableSha256(new SHA256Digest());
    }

    /** Restores a state saved by {@link #state()}; a null or empty state starts a new digest. */
    public static ResumableSha256 restore(byte[] state) {
        if (state == null || state.length == 0) {
            return create();
        }
        return new ResumableSha256(new SHA256Digest(state));
    }

    public void update(byte[] bytes, int offset, int length) {
        digest.update(bytes, offset, length);
    }

    /** The encoded state (about 100 bytes) after the bytes seen so far. */
    public byte[] state() {
        return ((EncodableDigest) digest).getEncodedState();
    }

    /** The lowercase hex digest of the bytes seen so far; the running state is left untouched. */
    public String hex() {
        SHA256Digest copy = new SHA256Digest(digest);
        byte[] out = new byte[copy.getDigestSize()];
        copy.doFinal(out, 0);
        return HexFormat.of().formatHex(out);
    }
}
