package io.meshwarden.policy;

import java.util.Map;

/**
 * Kubernetes-style metadata. resourceVersion and generation are assigned by the store; on input they are
 * preconditions (resourceVersion) or ignored (generation, creationTimestamp).
 */
public record PolicyMetadata(String name, Map<String, String> labels, Map<String, String> annotations,
        String resourceVersion, long generation, String creationTimestamp) {

    public PolicyMetadata {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    public PolicyMetadata withVersion(String newResourceVersion, long newGeneration, String created) {
        return new PolicyMetadata(name, labels, annotations, newResourceVersion, newGeneration, created);
    }
}
