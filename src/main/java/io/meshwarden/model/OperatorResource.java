package io.meshwarden.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.Map;
import java.util.Objects;

/**
 * An operator's custom resource with its spec trimmed to what rules read: monitors keep their selectors and
 * endpoints, PrometheusRules only {@code groups[].rules[].{alert,record,expr}}, Kiali only {@code auth}.
 *
 * @param spec shared, treat as read-only; {@link MissingNode} when absent
 */
public record OperatorResource(OperatorKind kind, String apiVersion, String namespace, String name,
        Map<String, String> labels, JsonNode spec) {
    public OperatorResource {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        spec = spec == null ? MissingNode.getInstance() : spec;
    }

    public String ref() {
        return kind.kindName() + " " + namespace + "/" + name;
    }
}
