package io.meshwarden.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Service trimmed to how it exposes pods: its type and selector (exposure of add-ons) and its labels and port
 * names (what a ServiceMonitor selects and scrapes).
 *
 * @param type     {@code spec.type}; {@code ClusterIP} when absent, as the API server defaults it
 * @param selector {@code spec.selector}; empty for a Service without one (its endpoints are managed by hand)
 */
public record ServiceInfo(String namespace, String name, Map<String, String> labels, String type,
        Map<String, String> selector, List<String> portNames) {
    public static final String CLUSTER_IP = "ClusterIP";

    public ServiceInfo {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        type = type == null ? CLUSTER_IP : type;
        selector = selector == null ? Map.of() : Map.copyOf(selector);
        portNames = portNames == null ? List.of() : List.copyOf(portNames);
    }

    /** Whether the Service sends traffic to pods with these labels (an empty selector selects none). */
    public boolean selects(Map<String, String> podLabels) {
        if (selector.isEmpty()) {
            return false;
        }
        for (Map.Entry<String, String> e : selector.entrySet()) {
            if (!e.getValue().equals(podLabels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** Reachable from outside the cluster without going through the mesh's gateways. */
    public boolean externallyReachable() {
        return type.equals("LoadBalancer") || type.equals("NodePort");
    }

    public String ref() {
        return "Service " + namespace + "/" + name;
    }
}
