package io.meshwarden.model;

import java.util.Map;
import java.util.Objects;

/**
 * A HorizontalPodAutoscaler (autoscaling/v2; v1 has the same fields used here).
 *
 * @param minReplicas     {@code spec.minReplicas}, 1 when absent as the API defaults it
 * @param desiredReplicas {@code status.desiredReplicas}; null when there is no status (rendered manifests)
 * @param annotations     kept for the exemption annotation
 */
public record Hpa(String namespace, String name, String targetKind, String targetName, int minReplicas,
        int maxReplicas, Integer desiredReplicas, Map<String, String> annotations) {
    public Hpa {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        annotations = annotations == null ? Map.of() : annotations;
    }

    public Hpa(String namespace, String name, String targetKind, String targetName, int minReplicas,
            int maxReplicas, Integer desiredReplicas) {
        this(namespace, name, targetKind, targetName, minReplicas, maxReplicas, desiredReplicas, Map.of());
    }

}
