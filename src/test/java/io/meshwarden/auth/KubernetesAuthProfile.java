package io.meshwarden.auth;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** In-cluster mode against the mock API server; answers are cached for longer than any test takes. */
public class KubernetesAuthProfile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        // No client retries: a failing API server must show as 503 at once, not after a minute of back-off.
        return Map.of("meshwarden.auth.mode", "kubernetes", "meshwarden.auth.cache-ttl", "5m",
                "meshwarden.auth.audiences", "meshwarden,https://kubernetes.default.svc",
                "quarkus.kubernetes-client.request-retry-backoff-limit", "0");
    }
}
