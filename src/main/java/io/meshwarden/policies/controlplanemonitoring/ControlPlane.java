package io.meshwarden.policies.controlplanemonitoring;

import io.meshwarden.evaluate.Scope;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Workload;
import java.util.ArrayList;
import java.util.List;

/**
 * The components to watch: istiod (pods labelled {@code app: istiod}, as the istio-discovery chart, Sail and
 * IstioOperator install it) and the gateways (pods labelled {@code istio: *gateway}, named by the Gateway API
 * deployment controller, or injected with the {@code gateway} template).
 */
record ControlPlane(List<Workload> istiods, List<Workload> gateways) {
    static final String DEFAULT_NAMESPACE = "istio-system";

    /** The components the policy's target covers; only their namespaces receive Meshwarden's objects. */
    static ControlPlane of(ClusterSnapshot snapshot, Scope scope) {
        List<Workload> istiods = new ArrayList<>();
        List<Workload> gateways = new ArrayList<>();
        for (Workload w : snapshot.workloads()) {
            if (!w.kind().longRunning() || !scope.covers(w)) {
                continue;
            }
            if ("istiod".equals(w.podLabels().get("app"))) {
                istiods.add(w);
            } else if (isGateway(w)) {
                gateways.add(w);
            }
        }
        return new ControlPlane(List.copyOf(istiods), List.copyOf(gateways));
    }

    static boolean isGateway(Workload w) {
        String istio = w.podLabels().get("istio");
        return (istio != null && istio.endsWith("gateway")) || w.podLabels().containsKey("istio.io/gateway-name")
                || w.podLabels().containsKey("gateway.networking.k8s.io/gateway-name")
                || "gateway".equals(w.podAnnotations().get("inject.istio.io/templates"));
    }

    /** Where Meshwarden's monitoring objects go: istiod's namespace. */
    String meshNamespace() {
        return istiods.isEmpty() ? DEFAULT_NAMESPACE : istiods.get(0).namespace();
    }
}
