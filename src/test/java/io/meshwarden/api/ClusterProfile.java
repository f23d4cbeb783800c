package io.meshwarden.api;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** A profile with a cluster (the mock API server) and no scheduled audits, so tests decide when audits run. */
public class ClusterProfile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("meshwarden.cluster.enabled", "true", "meshwarden.audit.enabled", "false",
                "meshwarden.cluster.page-size", "5");
    }
}
