package digestbench;

import org.bouncycastle.crypto.CryptoServicesRegistrar;
import org.bouncycastle.crypto.NativeServices;
import org.bouncycastle.crypto.SavableDigest;
import org.bouncycastle.crypto.digests.SHA256Digest;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * bcprov-lts8on's native SHA-256 (SHA256Digest.newInstance() when the library loaded a native variant with SHA-256
 * for this CPU): the state saved with getEncodedState() and restored with SHA256Digest.newInstance(byte[], int).
 * Prints what the native loader found; no variant when it offers no native SHA-256 here.
 */
public final class BcNativeHashers {

    public static Map<String, Supplier<DigestBench.Hasher>> hashers() {
        NativeServices services = CryptoServicesRegistrar.getNativeServices();
        boolean sha256 = CryptoServicesRegistrar.hasEnabledService(NativeServices.SHA256);
        System.err.printf("[digest bench] bcprov-lts8on native: status %s, variant %s, enabled %s, SHA-256 %s%n",
                services.getStatusMessage(), services.getVariant(), CryptoServicesRegistrar.isNativeEnabled(), sha256);
        Map<String, Supplier<DigestBench.Hasher>> hashers = new LinkedHashMap<>();
        if (sha256 && SHA256Digest.newInstance().toString().contains("Native")) {
            hashers.put("BouncyCastle bcprov-lts8on native (" + services.getVariant() + ")", Native::new);
        }
        return hashers;
    }

    private static final class Native implements DigestBench.Hasher {

        private SavableDigest digest = SHA256Digest.newInstance();

        @Override
        public void update(byte[] bytes, int offset, int length) {
            digest.update(bytes, offset, length);
        }

        @Override
        public int checkpoint() {
            byte[] state = digest.getEncodedState();
            digest = SHA256Digest.newInstance(state, 0);
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
