package io.meshwarden.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * The {@code mesh} key of istiod's ConfigMap, parsed.
 *
 * @param revision null for the ConfigMap named {@code istio}; {@code <rev>} for {@code istio-<rev>}
 * @param mesh     the parsed MeshConfig; shared, treat as read-only
 */
public record MeshConfig(String namespace, String configMapName, String revision, JsonNode mesh) {
    public MeshConfig {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(configMapName, "configMapName");
        Objects.requireNonNull(mesh, "mesh");
    }

    public boolean isDefaultRevision() {
        return revision == null;
    }
}
