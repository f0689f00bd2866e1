package dev.relay.streaming.digest;

import digestbench.DigestBench;

import java.lang.reflect.Constructor;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Relay's own SHA-256 code, compiled by bench/digest.sh into this package: ResumableSha256 as the engine uses it,
 * PortableSha256 (the tests' reference) and, when the script found its source in git, JdkSha256 (the JDK's
 * internals through reflection, removed from the service; needs --add-opens, which the script gives this JVM).
 */
public final class RelayHashers {

    public static Map<String, Supplier<DigestBench.Hasher>> hashers() throws Exception {
        Map<String, Supplier<DigestBench.Hasher>> hashers = new LinkedHashMap<>();
        Function<Sha256State, Sha256Engine> jdk = jdkSha256();
        if (jdk != null) {
            hashers.put("JdkSha256: JDK internals through reflection (--add-opens; removed)", () -> new Engine(jdk));
        }
        hashers.put("PortableSha256: plain Java (the former fallback)", () -> new Engine(PortableSha256::new));
        hashers.put("Relay BouncyCastleSha256 (the Java fallback, state in Relay's format)",
                () -> new Engine(BouncyCastleSha256::new));
        hashers.put("Relay ResumableSha256 of this tree (state in Relay's format)", Relay::new);
        return hashers;
    }

    private static Function<Sha256State, Sha256Engine> jdkSha256() throws Exception {
        Class<?> type;
        try {
            type = Class.forName("dev.relay.streaming.digest.JdkSha256");
        } catch (ClassNotFoundException e) {
            System.err.println("[digest bench] JdkSha256 not compiled in: left out");
            return null;
        }
        if (!(boolean) type.getDeclaredMethod("available").invoke(null)) {
            System.err.println("[digest bench] JdkSha256 unavailable ("
                    + type.getDeclaredMethod("unavailableReason").invoke(null) + "): left out");
            return null;
        }
        Constructor<?> constructor = type.getDeclaredConstructor(Sha256State.class);
        return state -> {
            try {
                return (Sha256Engine) constructor.newInstance(state);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        };
    }

    private static final class Engine implements DigestBench.Hasher {

        private final Function<Sha256State, Sha256Engine> factory;
        private Sha256Engine engine;

        Engine(Function<Sha256State, Sha256Engine> factory) {
            this.factory = factory;
            this.engine = factory.apply(Sha256State.initial());
        }

        @Override
        public void update(byte[] bytes, int offset, int length) {
            engine.update(bytes, offset, length);
        }

        @Override
        public int checkpoint() {
            byte[] state = engine.state().encode();
            engine = factory.apply(Sha256State.decode(state));
            return state.length;
        }

        @Override
        public byte[] digest() {
            return engine.digest();
        }
    }

    private static final class Relay implements DigestBench.Hasher {

        private ResumableSha256 digest = ResumableSha256.create();

        @Override
        public void update(byte[] bytes, int offset, int length) {
            digest.update(bytes, offset, length);
        }

        @Override
        public int checkpoint() {
            byte[] state = digest.state();
            digest = ResumableSha256.restore(state);
            return state.length;
        }

        @Override
        public byte[] digest() {
            return HexFormat.of().parseHex(digest.hex());
        }
    }
}
