package io.meshwarden.api;

import java.util.HashMap;
import java.util.Map;

/** The cluster profile with policies kept as MeshPolicy resources in the (mock) API server. */
public class KubernetesStoreProfile extends ClusterProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> config = new HashMap<>(super.getConfigOverrides());
        config.put("meshwarden.store.type", "kubernetes");
        return config;
    }
}
