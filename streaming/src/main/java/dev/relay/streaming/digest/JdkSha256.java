package dev.relay.streaming.digest;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * SHA-256 on the JDK's own implementation ({@code sun.security.provider.SHA2$SHA256}), whose compression the JIT
 * replaces with SHA or AVX2 instructions: about ten times faster than plain Java, which matters because every
 * uploaded byte is hashed. The JDK offers no way to save and restore a digest's state, so this class reads and
 * writes the few fields that hold it. That needs {@code --add-opens java.base/sun.security.provider=ALL-UNNAMED}
 * (set in the service jar's manifest and the build); without it {@link #available()} is false and
 * {@link PortableSha256} is used instead. A self-test against {@link MessageDigest} guards against JDKs whose
 * internals differ.
 */
final class JdkSha256 implements Sha256Engine {

    private static final MethodHandle CREATE;
    private static final MethodHandle UPDATE;
    private static final MethodHandle DIGEST;
    private static final MethodHandle CLONE;
    private static final VarHandle STATE;
    private static final VarHandle BUFFER;
    private static final VarHandle BUFFER_OFFSET;
    private static final VarHandle BYTES_PROCESSED;
    private static final Throwable UNAVAILABLE;

    static {
        MethodHandle create = null;
        MethodHandle update = null;
        MethodHandle digest = null;
        MethodHandle clone = null;
        VarHandle state = null;
        VarHandle buffer = null;
        VarHandle bufferOffset = null;
        VarHandle bytesProcessed = null;
        Throwable unavailable = null;
        try {
            Class<?> base = Class.forName("sun.security.provider.DigestBase");
            Class<?> sha2 = Class.forName("sun.security.provider.SHA2");
            Class<?> sha256 = Class.forName("sun.security.provider.SHA2$SHA256");
            MethodHandles.Lookup baseLookup = MethodHandles.privateLookupIn(base, MethodHandles.lookup());
            MethodHandles.Lookup sha2Lookup = MethodHandles.privateLookupIn(sha2, MethodHandles.lookup());
            MethodHandles.Lookup sha256Lookup = MethodHandles.privateLookupIn(sha256, MethodHandles.lookup());
            create = sha256Lookup.findConstructor(sha256, MethodType.methodType(void.class))
                    .asType(MethodType.methodType(Object.class));
            update = baseLookup.findVirtual(base, "engineUpdate",
                            MethodType.methodType(void.class, byte[].class, int.class, int.class))
                    .asType(MethodType.methodType(void.class, Object.class, byte[].class, int.class, int.class));
            digest = baseLookup.findVirtual(base, "engineDigest", MethodType.methodType(byte[].class))
                    .asType(MethodType.methodType(byte[].class, Object.class));
            clone = baseLookup.findVirtual(base, "clone", MethodType.methodType(Object.class))
                    .asType(MethodType.methodType(Object.class, Object.class));
            state = sha2Lookup.findVarHandle(sha2, "state", int[].class);
            buffer = baseLookup.findVarHandle(base, "buffer", byte[].class);
            bufferOffset = baseLookup.findVarHandle(base, "bufOfs", int.class);
            bytesProcessed = baseLookup.findVarHandle(base, "bytesProcessed", long.class);
        } catch (Throwable e) {
            unavailable = e;
        }
        CREATE = create;
        UPDATE = update;
        DIGEST = digest;
        CLONE = clone;
        STATE = state;
        BUFFER = buffer;
        BUFFER_OFFSET = bufferOffset;
        BYTES_PROCESSED = bytesProcessed;
        UNAVAILABLE = unavailable == null ? selfTest() : unavailable;
    }

    private final Object digest;

    JdkSha256(Sha256State state) {
        try {
            digest = CREATE.invokeExact();
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
        System.arraycopy(state.h(), 0, (int[]) STATE.get(digest), 0, 8);
        System.arraycopy(state.pending(), 0, (byte[]) BUFFER.get(digest), 0, state.pending().length);
        BUFFER_OFFSET.set(digest, state.pending().length);
        BYTES_PROCESSED.set(digest, state.count());
    }

    /** Whether the JDK's implementation can be used; if not, {@link #unavailableReason()} says why. */
    static boolean available() {
        return UNAVAILABLE == null;
    }

    static Throwable unavailableReason() {
        return UNAVAILABLE;
    }

    @Override
    public void update(byte[] bytes, int offset, int length) {
        try {
            UPDATE.invokeExact(digest, bytes, offset, length);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Sha256State state() {
        long count = (long) BYTES_PROCESSED.get(digest);
        int pending = (int) BUFFER_OFFSET.get(digest);
        return new Sha256State(((int[]) STATE.get(digest)).clone(), count,
                Arrays.copyOf((byte[]) BUFFER.get(digest), pending));
    }

    @Override
    public byte[] digest() {
        try {
            return (byte[]) DIGEST.invokeExact(CLONE.invokeExact(digest));
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Saves and restores a state mid-block and compares with MessageDigest: the fields must mean what we think. */
    private static Throwable selfTest() {
        try {
            byte[] data = new byte[200];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 31 + 7);
            }
            JdkSha256 first = new JdkSha256(Sha256State.initial());
            first.update(data, 0, 77);
            JdkSha256 second = new JdkSha256(first.state());
            second.update(data, 77, data.length - 77);
            if (!Arrays.equals(second.digest(), MessageDigest.getInstance("SHA-256").digest(data))) {
                return new IllegalStateException("The JDK's SHA-256 internals differ from what this class expects");
            }
            return null;
        } catch (Throwable e) {
            return e;
        }
    }
}
