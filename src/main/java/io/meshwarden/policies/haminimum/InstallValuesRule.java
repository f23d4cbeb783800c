package io.meshwarden.policies.haminimum;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
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

/**
 * HaMinimum's check of the install values: a Helm release's values, or the {@code spec.values} of a Sail
 * {@code Istio} or an {@code IstioOperator} (the same chart keys, handed to the same charts), and the IstioOperator's
 * own {@code k8s.hpaSpec} overlay, which is applied to the rendered HPA after the values.
 */
final class InstallValuesRule {
    static final RuleId HELM_AUTOSCALE_MIN = new RuleId("ha-helm-autoscale-min",
            "The chart values set the HPA floor (autoscaleMin / autoscaling.minReplicas) below the policy's");
    static final RuleId HELM_AUTOSCALE_MAX = new RuleId("ha-helm-autoscale-max",
            "The chart values set the HPA ceiling (autoscaleMax / autoscaling.maxReplicas) below the policy's");
    static final RuleId HELM_REPLICA_COUNT = new RuleId("ha-helm-replica-count",
            "The chart values turn autoscaling off and set replicaCount below the policy's minimum");
    static final RuleId IOP_HPA_MIN_REPLICAS = new RuleId("ha-iop-hpa-min-replicas",
            "An IstioOperator's k8s.hpaSpec.minReplicas overlay sets the HPA floor below the policy's");

    /** Helm keys of one chart's HPA/replica settings, each with its fallbacks in lookup order. */
    private record Keys(List<String> enabled, List<String> min, List<String> max, List<String> replicas,
            boolean enabledDefault, int minDefault, int maxDefault, int replicasDefault) {
    }

    private static final String DEFAULTS = ValuesSource.CHART_DEFAULTS;
    /** The istiod chart's switch for its own PodDisruptionBudget; default true. */
    private static final String CHART_PDB_ENABLED = "global.defaultPodDisruptionBudget.enabled";

    /**
     * The istiod chart copies {@code .pilot} over {@code .} (templates/zzy_descope_legacy.yaml), so {@code pilot.X}
     * beats {@code X}; since 1.24 the chart's own defaults sit under {@code _internal_defaults_do_not_set}.
     */
    private static final Keys ISTIOD_KEYS = new Keys(alias("autoscaleEnabled"), alias("autoscaleMin"),
            alias("autoscaleMax"), alias("replicaCount"), true, 1, 5, 1);
    private static final Keys GATEWAY_KEYS = new Keys(
            List.of("autoscaling.enabled", DEFAULTS + "autoscaling.enabled"),
            List.of("autoscaling.minReplicas", DEFAULTS + "autoscaling.minReplicas"),
            List.of("autoscaling.maxReplicas", DEFAULTS + "autoscaling.maxReplicas"),
            List.of("replicaCount", DEFAULTS + "replicaCount"), true, 1, 5, 1);

    private static List<String> alias(String key) {
        return List.of("pilot." + key, key, DEFAULTS + key);
    }

    private static Keys umbrellaGateway(String component) {
        String p = "gateways.istio-" + component + ".";
        return new Keys(List.of(p + "autoscaleEnabled"), List.of(p + "autoscaleMin"), List.of(p + "autoscaleMax"),
                List.of(p + "replicaCount"), true, 1, 5, 1);
    }

    private InstallValuesRule() {
    }
    // ---------------------------------------------------------------- install values

    static void checkValues(String component, HaMinimumParameters p, Mesh mesh, Scope scope, Checks checks,
            List<Workload> deployments) {
        ClusterSnapshot s = mesh.snapshot();
        boolean gateway = component.equals(Components.INGRESS) || component.equals(Components.EGRESS);
        if (component.equals(Components.ISTIOD)) {
            for (ValuesSource src : mesh.istiodSources()) {
                if (!inScope(src, scope, deployments)) {
                    continue;
                }
                JsonNode hpaMin = src.kind() == ValuesSource.Kind.ISTIO_OPERATOR
                        ? iop(s, src).spec().at("/components/pilot/k8s/hpaSpec/minReplicas") : null;
                if (hpaMin != null && Json.isSet(hpaMin)) {
                    // IstioOperator's k8s overlay is applied to the rendered HPA after the values.
                    checkIopHpaMin(src, "spec.components.pilot.k8s.hpaSpec.minReplicas", hpaMin, component, p,
                            checks);
                    checkKeys(src, component, withoutMin(ISTIOD_KEYS), p, checks, chartPdbNote(src, s, deployments));
                } else {
                    checkKeys(src, component, ISTIOD_KEYS, p, checks, chartPdbNote(src, s, deployments));
                }
            }
            for (HelmRelease r : s.helmReleasesOfChart("istio")) {
                ValuesSource src = ValuesSource.of(r);
                if (inScope(src, scope, deployments)) {
                    checkKeys(src, component, ISTIOD_KEYS, p, checks, chartPdbNote(src, s, deployments));
                }
            }
        } else if (gateway) {
            for (HelmRelease r : s.helmReleasesOfChart("gateway")) {
                ValuesSource src = ValuesSource.of(r);
                if (Components.gatewayKind(r).equals(component) && inScope(src, scope, deployments)) {
                    checkKeys(src, component, GATEWAY_KEYS, p, checks, null);
                }
            }
            for (HelmRelease r : s.helmReleasesOfChart("istio")) {
                ValuesSource src = ValuesSource.of(r);
                if (Json.isSet(src.value("gateways.istio-" + component)) && inScope(src, scope, deployments)) {
                    checkKeys(src, component, umbrellaGateway(component), p, checks, null);
                }
            }
            checkIopGateways(component, p, s, scope, checks, deployments);
        } else {
            for (HelmRelease r : s.helmReleases()) {
                if (!r.name().equals(component)) {
                    continue;
                }
                ValuesSource src = ValuesSource.of(r);
                if (!inScope(src, scope, deployments)) {
                    continue;
                }
                if ("istiod".equals(r.chartName())) {
                    checkKeys(src, component, ISTIOD_KEYS, p, checks, chartPdbNote(src, s, deployments));
                } else if ("gateway".equals(r.chartName()) || Json.isSet(src.value("autoscaling"))
                        || Json.isSet(src.value("replicaCount"))) {
                    // Most charts follow the helm create layout the gateway chart uses.
                    checkKeys(src, component, GATEWAY_KEYS, p, checks, null);
                }
            }
        }
    }

    private static Keys withoutMin(Keys k) {
        return new Keys(k.enabled(), List.of(), k.max(), k.replicas(), k.enabledDefault(), Integer.MAX_VALUE,
                k.maxDefault(), k.replicasDefault());
    }

    private static IstioResource iop(ClusterSnapshot s, ValuesSource src) {
        for (IstioResource r : s.istioResources(IstioKind.ISTIO_OPERATOR, src.ref().namespace())) {
            if (r.name().equals(src.ref().name())) {
                return r;
            }
        }
        throw new IllegalStateException("IstioOperator vanished: " + src);
    }

    /**
     * Helm releases and operator resources carry no labels the policy selector could use; they take the labels of
     * the component's Deployment in their namespace, so a selector such as {@code app: istiod} keeps them.
     */
    private static boolean inScope(ValuesSource src, Scope scope, List<Workload> deployments) {
        String namespace = src.ref().namespace();
        if (namespace == null) {
            // Sail's Istio is cluster-scoped; spec.namespace is where it installs istiod.
            namespace = "istio-system";
        }
        Map<String, String> labels = Map.of();
        for (Workload d : deployments) {
            if (d.namespace().equals(namespace)) {
                labels = d.labels();
                break;
            }
        }
        return scope.covers(namespace, src.ref().kind(), src.ref().name(), labels, Map.of());
    }

    /**
     * For istiod's values: raising the replica floor to 2 or more makes the chart render its own {@code istiod}
     * PodDisruptionBudget (unless {@code global.defaultPodDisruptionBudget.enabled} is false). Where Meshwarden
     * already created one for istiod, the two would select the same pods and the eviction API would refuse every
     * istiod pod; the note says so. Null when no PDB of ours selects istiod's pods or the chart's PDB is off.
     */
    private static String chartPdbNote(ValuesSource src, ClusterSnapshot s, List<Workload> deployments) {
        Found enabled = find(src, List.of(CHART_PDB_ENABLED, DEFAULTS + CHART_PDB_ENABLED));
        if (enabled != null && Json.bool(enabled.value()) == Boolean.FALSE) {
            return null;
        }
        Set<String> ours = new TreeSet<>();
        for (Workload d : deployments) {
            if (src.ref().namespace() != null && !src.ref().namespace().equals(d.namespace())) {
                continue;
            }
            for (Pdb pdb : s.pdbsFor(d)) {
                if (pdb.ours()) {
                    ours.add(pdb.namespace() + "/" + pdb.name());
                }
            }
        }
        if (ours.isEmpty()) {
            return null;
        }
        return " With 2 or more replicas the istiod chart renders its own PodDisruptionBudget (" + CHART_PDB_ENABLED
                + " is on), so Meshwarden's PodDisruptionBudget " + String.join(", ", ours) + " must go: two PDBs "
                + "on the same pods make the eviction API refuse every istiod pod. Once the chart's PDB exists, "
                + "an enforce run deletes Meshwarden's (rule ha-pdb-overlapping); or set " + CHART_PDB_ENABLED
                + ": false to keep Meshwarden's.";
    }

    private static void checkKeys(ValuesSource src, String component, Keys keys, HaMinimumParameters p,
            Checks checks, String floorNote) {
        Found enabled = find(src, keys.enabled());
        Found min = find(src, keys.min());
        Found max = find(src, keys.max());
        Boolean enabledValue = enabled == null ? null : Json.bool(enabled.value());
        boolean autoscaling = enabledValue == null ? keys.enabledDefault() : enabledValue;
        Integer minValue = min == null ? (keys.min().isEmpty() ? null : keys.minDefault()) : Json.integer(min.value());
        Integer maxValue = max == null ? keys.maxDefault() : Json.integer(max.value());
        // The chart renders an HPA only when enabled, min and max are all set; then the HPA owns replicas.
        boolean hpaRendered = autoscaling && maxValue != null && (keys.min().isEmpty() || minValue != null);
        if (hpaRendered) {
            if (!keys.min().isEmpty()) {
                threshold(checks, HELM_AUTOSCALE_MIN, src, component, keys.min(), min, minValue,
                        p.autoscaleMin(), "the HPA's minimum", p.autoscaleMin() >= 2 ? floorNote : null);
            }
            threshold(checks, HELM_AUTOSCALE_MAX, src, component, keys.max(), max, maxValue,
                    p.autoscaleMax(), "the HPA's maximum", null);
        } else {
            Found replicas = find(src, keys.replicas());
            Integer replicaValue = replicas == null ? keys.replicasDefault() : Json.integer(replicas.value());
            threshold(checks, HELM_REPLICA_COUNT, src, component, keys.replicas(), replicas,
                    replicaValue, p.minReplicas(), "the replica count (autoscaling is off)",
                    p.minReplicas() >= 2 ? floorNote : null);
        }
    }

    private record Found(String path, JsonNode value) {
    }

    private static Found find(ValuesSource src, List<String> paths) {
        for (String path : paths) {
            JsonNode v = src.value(path);
            if (Json.isSet(v)) {
                return new Found(path, v);
            }
        }
        return null;
    }

    private static void threshold(Checks checks, RuleId rule, ValuesSource src, String component, List<String> keys,
            Found found, Integer value, int minimum, String what, String floorNote) {
        if (value != null && value >= minimum) {
            checks.pass();
            return;
        }
        // Fix where the user already set it; chart defaults are fixed at the first key, which wins over the rest.
        boolean userSet = found != null && src.userSet(found.path());
        String fixPath = userSet ? found.path() : keys.get(0);
        String shownPath = found != null ? src.path(found.path()) : src.path(keys.get(0));
        String actual = value == null ? "unset" : value + (userSet ? "" : " (chart default)");
        checks.fail(rule, src.ref(), src.helm(), shownPath, ">= " + minimum, actual,
                component + ": " + what + " in " + src + " is " + actual + ", below the HA minimum of " + minimum
                        + " (set at " + shownPath + ")",
                Remedy.setValue(src, fixPath, Json.F.numberNode(minimum), false,
                        "Re-renders the " + component + " HPA/Deployment without restarting its pods."
                                + (floorNote == null ? "" : floorNote)));
    }

    private static void checkIopHpaMin(ValuesSource src, String path, JsonNode value, String component,
            HaMinimumParameters p, Checks checks) {
        Integer v = Json.integer(value);
        if (v != null && v >= p.autoscaleMin()) {
            checks.pass();
            return;
        }
        checks.fail(IOP_HPA_MIN_REPLICAS, src.ref(), null, path, ">= " + p.autoscaleMin(), Json.show(value),
                component + ": " + path + " in " + src + " is " + Json.show(value) + ", below the HA minimum of "
                        + p.autoscaleMin(),
                Remedy.patchField(src, path, Json.F.numberNode(p.autoscaleMin()), false,
                        "The operator re-renders the HPA; pods are not restarted."));
    }

    /**
     * IstioOperator gateways are checked only where the resource says something explicit; their defaults depend on
     * the profile, which the snapshot does not have.
     */
    private static void checkIopGateways(String component, HaMinimumParameters p, ClusterSnapshot s, Scope scope,
            Checks checks, List<Workload> deployments) {
        String list = component.equals(Components.INGRESS) ? "ingressGateways" : "egressGateways";
        for (IstioResource r : s.istioResources(IstioKind.ISTIO_OPERATOR)) {
            ValuesSource src = ValuesSource.of(r);
            if (!inScope(src, scope, deployments)) {
                continue;
            }
            JsonNode gateways = r.spec().path("components").path(list);
            if (gateways.isArray()) {
                for (int i = 0; i < gateways.size(); i++) {
                    JsonNode g = gateways.get(i);
                    JsonNode min = g.at("/k8s/hpaSpec/minReplicas");
                    if (Json.bool(g.path("enabled")) == Boolean.FALSE || !Json.isSet(min)) {
                        continue;
                    }
                    String path = "spec.components." + list + "[" + i + "].k8s.hpaSpec.minReplicas";
                    Integer v = Json.integer(min);
                    if (v != null && v >= p.autoscaleMin()) {
                        checks.pass();
                        continue;
                    }
                    // A merge patch replaces lists whole: send the list with only this entry's minimum changed.
                    com.fasterxml.jackson.databind.node.ArrayNode fixed = gateways.deepCopy();
                    ((ObjectNode) fixed.get(i)).withObject("/k8s/hpaSpec").put("minReplicas", p.autoscaleMin());
                    checks.fail(IOP_HPA_MIN_REPLICAS, src.ref(), null, path, ">= " + p.autoscaleMin(),
                            Json.show(min), component + " " + g.path("name").asText("?") + ": " + path + " in " + src
                                    + " is " + Json.show(min) + ", below the HA minimum of " + p.autoscaleMin(),
                            Remedy.patchField(src, "spec.components." + list, fixed, false,
                                    "The operator re-renders the HPA; pods are not restarted."));
                }
            }
            String prefix = "gateways.istio-" + component;
            if (Json.isSet(src.value(prefix))) {
                checkKeys(src, component, umbrellaGateway(component), p, checks, null);
            }
        }
    }

}
