package io.meshwarden.model;

import java.util.Map;
import java.util.Objects;

/**
 * The configuration ConfigMap of an {@link Addon} (Kiali's {@code config.yaml}, Grafana's {@code grafana.ini}),
 * with only those keys kept: the dashboards ConfigMaps next to them are megabytes no rule reads.
 */
public record AddonConfig(String namespace, String name, Map<String, String> labels, Map<String, String> data) {
    public static final String KIALI_CONFIG = "config.yaml";
    public static final String GRAFANA_INI = "grafana.ini";

    public AddonConfig {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        data = data == null ? Map.of() : Map.copyOf(data);
    }

    public String ref() {
        return "ConfigMap " + namespace + "/" + name;
    }
}
