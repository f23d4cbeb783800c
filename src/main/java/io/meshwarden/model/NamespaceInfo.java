package io.meshwarden.model;

import java.util.Map;
import java.util.Objects;

/** The parts of a Namespace that injection and exemption rules look at. */
public record NamespaceInfo(String name, Map<String, String> labels, Map<String, String> annotations) {
    public NamespaceInfo {
        Objects.requireNonNull(name, "name");
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }
}
