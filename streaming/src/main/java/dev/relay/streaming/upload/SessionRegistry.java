package dev.relay.streaming.upload;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The write sessions open on this node, one per upload at most. Across nodes the database's writer epoch decides:
 * a session whose epoch was superseded can no longer record anything.
 */
final class SessionRegistry {

    private final ConcurrentMap<String, UploadSession> sessions = new ConcurrentHashMap<>();

    Optional<UploadSession> get(String uploadId) {
        return Optional.ofNullable(sessions.get(uploadId));
    }

    /** Registers a session and returns the one it replaces, if any (which the caller must take over). */
    Optional<UploadSession> register(UploadSession session) {
        return Optional.ofNullable(sessions.put(session.uploadId(), session));
    }

    void remove(UploadSession session) {
        sessions.remove(session.uploadId(), session);
    }

    int size() {
        return sessions.size();
    }

    Collection<UploadSession> all() {
        return List.copyOf(sessions.values());
    }
}
