package io.meshwarden.policies.controlplanemonitoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Json;
import io.meshwarden.model.OperatorKind;
import io.meshwarden.model.OperatorResource;
import io.meshwarden.model.Ownership;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.model.ServiceInfo;
import io.meshwarden.model.Workload;
import io.meshwarden.policy.LabelSelector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/** Which prometheus-operator monitor scrapes a workload, and the ones Meshwarden creates when none does. */
final class Monitors {
    static final String API_VERSION = "monitoring.coreos.com/v1";
    static final String ISTIOD_MONITOR = "meshwarden-istiod";
    static final String GATEWAY_MONITOR_PREFIX = "meshwarden-gateway-";

    private Monitors() {
    }

    /** The first monitor (carrying the policy's labels) that selects the workload's pods, directly or by a Service. */
    static Optional<OperatorResource> scraping(Workload w, ClusterSnapshot snapshot, Map<String, String> labels) {
        for (OperatorResource m : snapshot.operatorResources(OperatorKind.POD_MONITOR)) {
            if (carries(m, labels) && coversNamespace(m, w.namespace()) && selector(m).matches(w.podLabels())) {
                return Optional.of(m);
            }
        }
        for (OperatorResource m : snapshot.operatorResources(OperatorKind.SERVICE_MONITOR)) {
            if (!carries(m, labels) || !coversNamespace(m, w.namespace())) {
                continue;
            }
            for (ServiceInfo s : snapshot.servicesIn(w.namespace())) {
                if (s.selects(w.podLabels()) && selector(m).matches(s.labels())) {
                    return Optional.of(m);
                }
            }
        }
        return Optional.empty();
    }

    static boolean carries(OperatorResource r, Map<String, String> labels) {
        for (Map.Entry<String, String> e : labels.entrySet()) {
            if (!e.getValue().equals(r.labels().get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** {@code namespaceSelector}: {@code any: true}, {@code matchNames}, or absent for the monitor's own namespace. */
    static boolean coversNamespace(OperatorResource m, String namespace) {
        JsonNode ns = m.spec().path("namespaceSelector");
        if (ns.path("any").asBoolean(false)) {
            return true;
        }
        JsonNode names = ns.path("matchNames");
        if (names.isArray() && !names.isEmpty()) {
            for (JsonNode n : names) {
                if (n.asText().equals(namespace)) {
                    return true;
                }
            }
            return false;
        }
        return m.namespace().equals(namespace);
    }

    /** An absent or empty selector selects everything, as prometheus-operator reads it. */
    static LabelSelector selector(OperatorResource m) {
        JsonNode sel = m.spec().path("selector");
        Map<String, String> matchLabels = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : sel.path("matchLabels").properties()) {
            matchLabels.put(e.getKey(), e.getValue().asText());
        }
        List<LabelSelector.Requirement> expressions = new ArrayList<>();
        for (JsonNode e : sel.path("matchExpressions")) {
            List<String> values = new ArrayList<>();
            e.path("values").forEach(v -> values.add(v.asText()));
            try {
                expressions.add(new LabelSelector.Requirement(e.path("key").asText(),
                        LabelSelector.Operator.parse(e.path("operator").asText()), values));
            } catch (IllegalArgumentException bad) {
                // prometheus-operator refuses such a monitor: it selects nothing.
                return new LabelSelector(Map.of(), List.of(new LabelSelector.Requirement("-", 
                        LabelSelector.Operator.Exists, List.of())));
            }
        }
        return new LabelSelector(matchLabels, expressions);
    }

    static ObjectNode metadata(ObjectNode object, ResourceRef ref, Map<String, String> labels) {
        object.put("apiVersion", ref.apiVersion()).put("kind", ref.kind());
        ObjectNode meta = object.putObject("metadata");
        meta.put("name", ref.name()).put("namespace", ref.namespace());
        Map<String, String> all = new TreeMap<>(labels);
        all.put(Ownership.MANAGED_BY, Ownership.MANAGED_BY_VALUE);
        meta.set("labels", Json.labels(all));
        return object;
    }

    /** A ServiceMonitor of istiod's {@code http-monitoring} port (15014), selecting its Services by {@code istio: pilot}. */
    static ObjectNode istiodServiceMonitor(ResourceRef ref, List<Workload> istiods, Map<String, String> labels) {
        ObjectNode o = metadata(Json.F.objectNode(), ref, labels);
        ObjectNode spec = o.putObject("spec");
        spec.putObject("selector").putObject("matchLabels").put("istio", "pilot");
        TreeSet<String> namespaces = new TreeSet<>();
        istiods.forEach(w -> namespaces.add(w.namespace()));
        namespaces.forEach(spec.putObject("namespaceSelector").putArray("matchNames")::add);
        spec.putArray("endpoints").addObject().put("port", "http-monitoring").put("interval", "15s");
        return o;
    }

    /** A PodMonitor of one gateway's Envoy statistics ({@code http-envoy-prom}, 15090, {@code /stats/prometheus}). */
    static ObjectNode gatewayPodMonitor(ResourceRef ref, Workload gateway, Map<String, String> labels) {
        ObjectNode o = metadata(Json.F.objectNode(), ref, labels);
        ObjectNode spec = o.putObject("spec");
        Map<String, String> match = gateway.selectorLabels() != null && !gateway.selectorLabels().isEmpty()
                ? gateway.selectorLabels() : gateway.podLabels();
        spec.putObject("selector").set("matchLabels", Json.labels(new TreeMap<>(match)));
        spec.putObject("namespaceSelector").putArray("matchNames").add(gateway.namespace());
        spec.putArray("podMetricsEndpoints").addObject().put("port", "http-envoy-prom")
                .put("path", "/stats/prometheus").put("interval", "15s");
        return o;
    }
}
