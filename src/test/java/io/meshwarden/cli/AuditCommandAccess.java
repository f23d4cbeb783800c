package io.meshwarden.cli;

import io.meshwarden.policy.MeshPolicy;
import java.nio.file.Path;
import java.util.List;

/** Lets benchmarks load policy directories the way the audit command does. */
public final class AuditCommandAccess {
    private AuditCommandAccess() {
    }

    public static List<MeshPolicy> loadPolicies(Path dir) {
        return AuditCommand.loadPolicies(dir);
    }
}
