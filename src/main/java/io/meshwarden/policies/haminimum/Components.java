package io.meshwarden.policies.haminimum;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.evaluate.Scope;
import io.meshwarden.istio.Mesh;
import io.meshwarden.istio.ValuesSource;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.HelmRelease;
import io.meshwarden.model.Hpa;
import io.meshwarden.model.IstioKind;
import io.meshwarden.model.IstioResource;
import io.meshwarden.model.Json;
import io.meshwarden.model.MeshConfig;
import io.meshwarden.model.Pdb;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import io.meshwarden.policy.MeshPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Which objects run a component the policy names: istiod, ingressgateway, egressgateway or a Helm release. */
final class Components {
    static final String ISTIOD = "istiod";
    static final String INGRESS = "ingressgateway";
    static final String EGRESS = "egressgateway";

    private Components() {
    }

    /**
     * The gateway chart labels pods {@code istio: <release name without istio->} unless {@code labels.istio} is
     * set. Releases named like {@code istio-ingress} are common too, so the name is also matched loosely.
     */
    static String gatewayKind(HelmRelease r) {
        String label = r.values().path("labels").path("istio").asText("");
        String name = label.isEmpty() ? r.name().replaceFirst("^istio-", "") : label;
        if (name.equals(INGRESS) || (label.isEmpty() && name.contains("ingress"))) {
            return INGRESS;
        }
        if (name.equals(EGRESS) || (label.isEmpty() && name.contains("egress"))) {
            return EGRESS;
        }
        return name;
    }

    /** Whether anything holds the component's install values: what {@link InstallValuesRule} would read. */
    static boolean installed(String component, Mesh mesh) {
        ClusterSnapshot s = mesh.snapshot();
        if (component.equals(ISTIOD)) {
            return !mesh.istiodSources().isEmpty() || !s.helmReleasesOfChart("istio").isEmpty();
        }
        if (component.equals(INGRESS) || component.equals(EGRESS)) {
            for (HelmRelease r : s.helmReleasesOfChart("gateway")) {
                if (gatewayKind(r).equals(component)) {
                    return true;
                }
            }
            for (HelmRelease r : s.helmReleasesOfChart("istio")) {
                if (Json.isSet(ValuesSource.of(r).value("gateways.istio-" + component))) {
                    return true;
                }
            }
            // An IstioOperator may declare gateways among its components; it is read as the install source.
            return !s.istioResources(IstioKind.ISTIO_OPERATOR).isEmpty();
        }
        for (HelmRelease r : s.helmReleases()) {
            if (r.name().equals(component)) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- live objects

    /** The Deployments that run a component. */
    static List<Workload> deployments(String component, Mesh mesh) {
        ClusterSnapshot s = mesh.snapshot();
        List<Workload> out = new ArrayList<>();
        if (component.equals(ISTIOD)) {
            Set<String> namespaces = istiodNamespaces(mesh);
            for (Workload w : s.workloadsOfKind(WorkloadKind.DEPLOYMENT)) {
                if (namespaces.contains(w.namespace())
                        && (ISTIOD.equals(w.podLabels().get("app")) || ISTIOD.equals(w.labels().get("app")))) {
                    out.add(w);
                }
            }
        } else if (component.equals(INGRESS) || component.equals(EGRESS)) {
            for (Workload w : s.workloadsOfKind(WorkloadKind.DEPLOYMENT)) {
                if (component.equals(w.podLabels().get("istio")) || component.equals(w.labels().get("istio"))) {
                    out.add(w);
                }
            }
        } else {
            for (Workload w : s.workloadsOfKind(WorkloadKind.DEPLOYMENT)) {
                if (component.equals(w.annotations().get(Mesh.HELM_RELEASE_NAME))
                        || component.equals(w.labels().get("app.kubernetes.io/instance"))
                        || component.equals(w.labels().get("release"))) {
                    out.add(w);
                }
            }
        }
        return out;
    }

    private static Set<String> istiodNamespaces(Mesh mesh) {
        Set<String> out = new TreeSet<>();
        out.add(Mesh.DEFAULT_ROOT_NAMESPACE);
        for (MeshConfig m : mesh.snapshot().meshConfigs()) {
            out.add(m.namespace());
        }
        for (ValuesSource src : mesh.istiodSources()) {
            if (src.ref().namespace() != null) {
                out.add(src.ref().namespace());
            }
        }
        for (IstioResource r : mesh.snapshot().istioResources(IstioKind.SAIL_ISTIO)) {
            String ns = r.spec().path("namespace").asText("");
            if (!ns.isEmpty()) {
                out.add(ns);
            }
        }
        return out;
    }

}
