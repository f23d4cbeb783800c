package io.meshwarden.policies.meshaddons;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.IstioKind;
import io.meshwarden.model.IstioResource;
import io.meshwarden.model.Json;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.model.ServiceInfo;
import java.util.ArrayList;
import java.util.List;

/**
 * An add-on reachable from outside: a LoadBalancer or NodePort Service selecting its pods, or a VirtualService bound
 * to a gateway (any gateway but the implicit {@code mesh}) routing to one of its Services.
 */
final class ExposureRule {
    static final RuleId EXPOSED = new RuleId("addon-exposed",
            "An add-on is reachable from outside the cluster (LoadBalancer/NodePort Service or a gateway route)");

    private ExposureRule() {
    }

    static void check(FoundAddon a, MeshAddonsParameters p, ClusterSnapshot snapshot, Checks checks) {
        if (p.allowExposure()) {
            return;
        }
        boolean found = false;
        for (ServiceInfo s : a.services()) {
            if (!s.externallyReachable()) {
                continue;
            }
            found = true;
            ResourceRef ref = new ResourceRef("v1", "Service", s.namespace(), s.name());
            checks.fail(EXPOSED, ref, null, "spec.type", "ClusterIP", s.type(),
                    a.describe() + " is reachable from outside the cluster through " + s.ref() + " of type "
                            + s.type(),
                    new Remedy(ref, Remedy.PATCH, Json.nest("spec.type", Json.F.textNode(ServiceInfo.CLUSTER_IP)),
                            false, "The API server drops the node ports with the type; reach the add-on with "
                                    + "kubectl port-forward or istioctl dashboard instead."));
        }
        for (IstioResource vs : snapshot.istioResources(IstioKind.VIRTUAL_SERVICE)) {
            List<String> gateways = externalGateways(vs);
            if (gateways.isEmpty()) {
                continue;
            }
            String host = routedHost(vs, a.services());
            if (host == null) {
                continue;
            }
            found = true;
            checks.fail(EXPOSED, Refs.of(vs), null, "spec.gateways", "no gateway routes to an add-on",
                    String.join(", ", gateways), a.describe() + " is routed from gateway(s) " + String.join(", ",
                            gateways) + " by " + vs.ref() + " (destination " + host + ")",
                    Remedy.none(Refs.of(vs), "Delete the VirtualService (and its Gateway if nothing else uses it); "
                            + "Meshwarden deletes only objects it created. Put an authenticating proxy in front if "
                            + "the add-on must be reachable, and set allowExposure."));
        }
        if (!found) {
            checks.pass();
        }
    }

    private static List<String> externalGateways(IstioResource vs) {
        List<String> out = new ArrayList<>();
        for (JsonNode g : vs.spec().path("gateways")) {
            if (!g.asText().equals("mesh")) {
                out.add(g.asText());
            }
        }
        return out;
    }

    /** The first route destination of the VirtualService that names one of the Services, or null. */
    private static String routedHost(IstioResource vs, List<ServiceInfo> services) {
        for (String protocol : List.of("http", "tcp", "tls")) {
            for (JsonNode route : vs.spec().path(protocol)) {
                for (JsonNode dest : route.path("route")) {
                    String host = dest.path("destination").path("host").asText("");
                    for (ServiceInfo s : services) {
                        if (names(host, vs.namespace(), s)) {
                            return host;
                        }
                    }
                }
            }
        }
        return null;
    }

    /** Short names resolve in the VirtualService's namespace, as Istio resolves them. */
    static boolean names(String host, String vsNamespace, ServiceInfo s) {
        String[] parts = host.split("\\.");
        if (parts.length == 0 || !parts[0].equals(s.name())) {
            return false;
        }
        String ns = parts.length == 1 ? vsNamespace : parts[1];
        return s.namespace().equals(ns);
    }
}
