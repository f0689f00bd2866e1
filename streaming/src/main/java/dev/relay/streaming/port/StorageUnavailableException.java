package dev.relay.streaming.port;

/**
 * A transient failure of S3 or the database (unreachable, overloaded, 5xx). Adapters signal it so the engine can
 * retry, withholding credit meanwhile, instead of failing the transfer.
 */
public class StorageUnavailableException extends RuntimeException {

    public StorageUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
