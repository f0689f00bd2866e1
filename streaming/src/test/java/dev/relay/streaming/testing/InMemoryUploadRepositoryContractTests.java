package dev.relay.streaming.testing;

import dev.relay.streaming.port.FileCatalog;
import dev.relay.streaming.port.UploadRepository;

import java.util.UUID;

/** The in-memory repository against the same contract as the R2DBC adapter. */
class InMemoryUploadRepositoryContractTests implements UploadRepositoryContract {

    private final InMemoryUploadRepository repository = new InMemoryUploadRepository();

    @Override
    public UploadRepository uploads() {
        return repository;
    }

    @Override
    public FileCatalog files() {
        return repository;
    }

    @Override
    public String newOwner() {
        return UUID.randomUUID().toString();
    }
}
