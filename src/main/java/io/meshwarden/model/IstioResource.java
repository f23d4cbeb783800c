package io.meshwarden.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.Map;
import java.util.Objects;

/**
 * An Istio custom resource with its spec left as a tree, since rules read only a few paths of it.
 *
 * @param namespace null for cluster-scoped kinds (Sail {@code Istio})
 * @param spec      shared, treat as read-only; {@link MissingNode} when the resource has no spec
 */
public record IstioResource(IstioKind kind, String apiVersion, String namespace, String name,
        Map<String, String> labels, Map<String, String> annotations, JsonNode spec) {
    public IstioResource {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        spec = spec == null ? MissingNode.getInstance() : spec;
    }

    public String ref() {
        return kind.kindName() + " " + (namespace == null ? name : namespace + "/" + name);
    }
}
