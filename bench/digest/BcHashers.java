package digestbench;

import org.bouncycastle.crypto.digests.SHA256Digest;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * BouncyCastle's SHA256Digest through its Java API (the same in bcprov-jdk18on and bcprov-lts8on): the state saved
 * with getEncodedState() and restored with new SHA256Digest(byte[]). Loaded once per BouncyCastle jar.
 */
public final class BcHashers {

    public static Map<String, Supplier<DigestBench.Hasher>> hashers() {
        String jar = SHA256Digest.class.getProtectionDomain().getCodeSource().getLocation().getPath();
        String name = jar.contains("lts8on") ? "BouncyCastle bcprov-lts8on SHA256Digest (Java)"
                : "BouncyCastle bcprov-jdk18on SHA256Digest";
        Map<String, Supplier<DigestBench.Hasher>> hashers = new LinkedHashMap<>();
        hashers.put(name, Java::new);
        return hashers;
    }

    private static final class Java implements DigestBench.Hasher {

        private SHA256Digest digest = new SHA256Digest();

        @Override
        public void update(byte[] bytes, int offset, int length) {
            digest.update(bytes, offset, length);
        }

        @Override
        public int checkpoint() {
            byte[] state = digest.getEncodedState();
            digest = new SHA256Digest(state);
            return state.length;
        }

        @Override
        public byte[] digest() {
            byte[] out = new byte[32];
            digest.doFinal(out, 0);
            return out;
        }
    }
}
