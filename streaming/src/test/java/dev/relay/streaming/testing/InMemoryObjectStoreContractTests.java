package dev.relay.streaming.testing;

import dev.relay.streaming.port.ObjectStore;
import dev.relay.streaming.port.StreamedPartUpload;

/** The in-memory store against the same contract as the S3 adapter. */
class InMemoryObjectStoreContractTests implements ObjectStoreContract {

    private final InMemoryObjectStore store = new InMemoryObjectStore();

    @Override
    public ObjectStore store() {
        return store;
    }

    @Override
    public StreamedPartUpload streamed() {
        return store;
    }
}
