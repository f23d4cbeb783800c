package io.meshwarden.store;

import io.meshwarden.policy.MeshPolicy;
import java.util.List;
import java.util.Optional;

/**
 * Where API-managed policies live: files on a volume (the embedded default) or MeshPolicy resources in the cluster.
 * Both hand out resourceVersions that callers use as preconditions, and both refuse a stale write with
 * {@link StoreException.Conflict}.
 */
public interface PolicyStore {
    /** A stored policy that is not served, left for a person to fix (a file, or a resource by name). */
    record LoadError(String file, String reason) {
    }

    /** Loads (or starts watching) the store; throws while the backing store is unreachable. */
    void load() throws java.io.IOException;

    /** True once the store has been read (files loaded, or the informer's first list done). */
    boolean ready();

    /** Human-readable location, for the sources endpoint and logs. */
    String location();

    /** "file" or "kubernetes". */
    String type();

    List<LoadError> loadErrors();

    List<MeshPolicy> list();

    Optional<MeshPolicy> get(String name);

    MeshPolicy create(MeshPolicy policy);

    /**
     * Replaces a policy. {@code expectedVersion} (from the body or If-Match) must match when given; a write that
     * changes nothing keeps the current version.
     */
    MeshPolicy update(MeshPolicy policy, String expectedVersion, boolean viaIfMatch);

    MeshPolicy delete(String name, String expectedVersion, boolean viaIfMatch);

    /**
     * The last audit's findings per evaluated policy, for stores that show them next to the policy (a resource's
     * status). The file store has nowhere to put them.
     */
    default void recordEvaluation(java.util.Map<String, Integer> findingsByPolicy, java.time.Instant at) {
    }

    /** Spec, labels and annotations are what a write can change; equal ones make a write a no-op. */
    static boolean sameContent(MeshPolicy a, MeshPolicy b) {
        return a.spec().equals(b.spec()) && a.metadata().labels().equals(b.metadata().labels())
                && a.metadata().annotations().equals(b.metadata().annotations());
    }
}
