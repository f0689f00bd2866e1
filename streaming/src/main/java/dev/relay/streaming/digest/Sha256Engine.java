package dev.relay.streaming.digest;

/** A SHA-256 computation whose state can be read and set. */
interface Sha256Engine {

    void update(byte[] bytes, int offset, int length);

    Sha256State state();

    /** The digest of the bytes so far; the computation can continue afterwards. */
    byte[] digest();
}
