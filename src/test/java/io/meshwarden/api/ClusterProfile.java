package io.meshwarden.api;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** A profile with a cluster (the mock API server) and no scheduled audits, so tests decide when audits run. */
public class ClusterProfile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        // The mock API server runs no controllers: a restarted Deployment never rolls out, so the deadline is short.
        return Map.of("meshwarden.cluster.enabled", "true", "meshwarden.audit.enabled", "false",
                "meshwarden.enforce.enabled", "false", "meshwarden.cluster.page-size", "5",
                "meshwarden.rollout.deadline", "1s", "meshwarden.rollout.poll-interval", "50ms",
                "meshwarden.rollout.writes-per-second", "100");
    }
}
