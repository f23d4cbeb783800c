package io.meshwarden.evaluate;

import io.meshwarden.istio.Mesh;
import io.meshwarden.istio.ValuesSource;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.HelmRelease;
import io.meshwarden.model.Hpa;
import io.meshwarden.model.IstioKind;
import io.meshwarden.model.IstioResource;
import io.meshwarden.model.MeshConfig;
import io.meshwarden.model.Pdb;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Parameters;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * HaMinimum: enough istiod/gateway replicas that a node drain or a crash does not take the component down.
 *
 * <p>Checked in three places, because each can be wrong on its own: the install values (Helm release, Sail
 * {@code Istio}, {@code IstioOperator}), the live HPA, and the live Deployment with its PDB. A Deployment that an HPA
 * targets never gets a replicas finding: writing replicas under an HPA starts a tug of war (istio#27581).
 */
public final class HaMinimumRule {
    static final String ISTIOD = "istiod";
    static final String INGRESS = "ingressgateway";
    static final String EGRESS = "egressgateway";
    static final String HELM_RELEASE_NAME = "meta.helm.sh/release-name";
    static final String MANAGED_BY = "app.kubernetes.io/managed-by";

    /** Helm keys of one chart's HPA/replica settings, each with its fallbacks in lookup order. */
    private record Keys(List<String> enabled, List<String> min, List<String> max, List<String> replicas,
            boolean enabledDefault, int minDefault, int maxDefault, int replicasDefault) {
    }

    private static final String DEFAULTS = "_internal_defaults_do_not_set.";

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

    private HaMinimumRule() {
    }

    public static RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        Parameters.HaMinimum p = (Parameters.HaMinimum) policy.spec().parameters();
        Mesh mesh = new Mesh(snapshot);
        Scope scope = new Scope(policy, snapshot);
        Checks checks = new Checks(policy);
        for (String component : p.components()) {
            List<Workload> deployments = deployments(component, mesh);
            checkValues(component, p, mesh, scope, checks, deployments);
            for (Workload d : deployments) {
                if (scope.covers(d)) {
                    checkDeployment(d, p, snapshot, scope, checks);
                }
            }
        }
        return checks.outcome();
    }

    // ---------------------------------------------------------------- install values

    private static void checkValues(String component, Parameters.HaMinimum p, Mesh mesh, Scope scope, Checks checks,
            List<Workload> deployments) {
        ClusterSnapshot s = mesh.snapshot();
        boolean gateway = component.equals(INGRESS) || component.equals(EGRESS);
        if (component.equals(ISTIOD)) {
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
                    checkKeys(src, component, withoutMin(ISTIOD_KEYS), p, checks);
                } else {
                    checkKeys(src, component, ISTIOD_KEYS, p, checks);
                }
            }
            for (HelmRelease r : s.helmReleasesOfChart("istio")) {
                ValuesSource src = ValuesSource.of(r);
                if (inScope(src, scope, deployments)) {
                    checkKeys(src, component, ISTIOD_KEYS, p, checks);
                }
            }
        } else if (gateway) {
            for (HelmRelease r : s.helmReleasesOfChart("gateway")) {
                ValuesSource src = ValuesSource.of(r);
                if (gatewayKind(r).equals(component) && inScope(src, scope, deployments)) {
                    checkKeys(src, component, GATEWAY_KEYS, p, checks);
                }
            }
            for (HelmRelease r : s.helmReleasesOfChart("istio")) {
                ValuesSource src = ValuesSource.of(r);
                if (Json.isSet(src.value("gateways.istio-" + component)) && inScope(src, scope, deployments)) {
                    checkKeys(src, component, umbrellaGateway(component), p, checks);
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
                    checkKeys(src, component, ISTIOD_KEYS, p, checks);
                } else if ("gateway".equals(r.chartName()) || Json.isSet(src.value("autoscaling"))
                        || Json.isSet(src.value("replicaCount"))) {
                    // Most charts follow the helm create layout the gateway chart uses.
                    checkKeys(src, component, GATEWAY_KEYS, p, checks);
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

    private static void checkKeys(ValuesSource src, String component, Keys keys, Parameters.HaMinimum p,
            Checks checks) {
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
                threshold(checks, Rules.HA_HELM_AUTOSCALE_MIN, src, component, keys.min(), min, minValue,
                        p.autoscaleMin(), "the HPA's minimum");
            }
            threshold(checks, Rules.HA_HELM_AUTOSCALE_MAX, src, component, keys.max(), max, maxValue,
                    p.autoscaleMax(), "the HPA's maximum");
        } else {
            Found replicas = find(src, keys.replicas());
            Integer replicaValue = replicas == null ? keys.replicasDefault() : Json.integer(replicas.value());
            threshold(checks, Rules.HA_HELM_REPLICA_COUNT, src, component, keys.replicas(), replicas,
                    replicaValue, p.minReplicas(), "the replica count (autoscaling is off)");
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

    private static void threshold(Checks checks, String rule, ValuesSource src, String component, List<String> keys,
            Found found, Integer value, int minimum, String what) {
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
                src.set(fixPath, Json.F.numberNode(minimum), false,
                        "Re-renders the " + component + " HPA/Deployment without restarting its pods."));
    }

    private static void checkIopHpaMin(ValuesSource src, String path, JsonNode value, String component,
            Parameters.HaMinimum p, Checks checks) {
        Integer v = Json.integer(value);
        if (v != null && v >= p.autoscaleMin()) {
            checks.pass();
            return;
        }
        checks.fail(Rules.HA_HELM_AUTOSCALE_MIN, src.ref(), null, path, ">= " + p.autoscaleMin(), Json.show(value),
                component + ": " + path + " in " + src + " is " + Json.show(value) + ", below the HA minimum of "
                        + p.autoscaleMin(),
                src.patch(path, Json.F.numberNode(p.autoscaleMin()), false,
                        "The operator re-renders the HPA; pods are not restarted."));
    }

    /**
     * IstioOperator gateways are checked only where the resource says something explicit; their defaults depend on
     * the profile, which the snapshot does not have.
     */
    private static void checkIopGateways(String component, Parameters.HaMinimum p, ClusterSnapshot s, Scope scope,
            Checks checks, List<Workload> deployments) {
        String list = component.equals(INGRESS) ? "ingressGateways" : "egressGateways";
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
                    checks.fail(Rules.HA_HELM_AUTOSCALE_MIN, src.ref(), null, path, ">= " + p.autoscaleMin(),
                            Json.show(min), component + " " + g.path("name").asText("?") + ": " + path + " in " + src
                                    + " is " + Json.show(min) + ", below the HA minimum of " + p.autoscaleMin(),
                            src.patch("spec.components." + list, fixed, false,
                                    "The operator re-renders the HPA; pods are not restarted."));
                }
            }
            String prefix = "gateways.istio-" + component;
            if (Json.isSet(src.value(prefix))) {
                checkKeys(src, component, umbrellaGateway(component), p, checks);
            }
        }
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
                if (component.equals(w.annotations().get(HELM_RELEASE_NAME))
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

    private static void checkDeployment(Workload d, Parameters.HaMinimum p, ClusterSnapshot s, Scope scope,
            Checks checks) {
        List<Hpa> hpas = s.hpasFor(d);
        Hpa hpa = hpas.isEmpty() ? null : hpas.get(0);
        if (hpa != null) {
            if (!scope.exempt(hpa.namespace(), "HorizontalPodAutoscaler", hpa.name(), hpa.annotations())) {
                checkHpa(d, hpa, p, checks);
            }
        } else {
            int replicas = d.replicas() == null ? 1 : d.replicas();
            if (replicas >= p.minReplicas()) {
                checks.pass();
            } else {
                String note = "Scaling up does not restart existing pods.";
                if (d.annotations().containsKey(HELM_RELEASE_NAME)) {
                    note += " Helm release " + d.annotations().get(HELM_RELEASE_NAME)
                            + " manages this Deployment: raise replicaCount in its values too, or the next upgrade "
                            + "reverts this.";
                }
                checks.fail(Rules.HA_DEPLOYMENT_REPLICAS, Refs.of(d), null, "spec.replicas", ">= " + p.minReplicas(),
                        String.valueOf(replicas), d.ref() + " runs " + replicas + " replica(s) and no HPA targets it; "
                                + "the HA minimum is " + p.minReplicas(),
                        new Remedy(Refs.of(d), Remedy.PATCH, Json.nest("spec.replicas",
                                Json.F.numberNode(p.minReplicas())), false, note));
            }
        }
        checkPdbs(d, hpa, p, s, scope, checks);
    }

    private static void checkHpa(Workload d, Hpa hpa, Parameters.HaMinimum p, Checks checks) {
        String where = "HorizontalPodAutoscaler " + hpa.namespace() + "/" + hpa.name() + " of " + d.ref();
        if (hpa.minReplicas() >= p.autoscaleMin()) {
            checks.pass();
        } else {
            checks.fail(Rules.HA_HPA_MIN_REPLICAS, Refs.of(hpa), null, "spec.minReplicas", ">= " + p.autoscaleMin(),
                    String.valueOf(hpa.minReplicas()), where + " may scale down to " + hpa.minReplicas()
                            + " replica(s); the HA minimum is " + p.autoscaleMin(),
                    new Remedy(Refs.of(hpa), Remedy.PATCH, Json.nest("spec.minReplicas",
                            Json.F.numberNode(p.autoscaleMin())), false, helmNote(d)));
        }
        if (hpa.maxReplicas() >= p.autoscaleMax()) {
            checks.pass();
        } else {
            checks.fail(Rules.HA_HPA_MAX_REPLICAS, Refs.of(hpa), null, "spec.maxReplicas", ">= " + p.autoscaleMax(),
                    String.valueOf(hpa.maxReplicas()), where + " may scale up to only " + hpa.maxReplicas()
                            + " replica(s); the policy asks for at least " + p.autoscaleMax(),
                    new Remedy(Refs.of(hpa), Remedy.PATCH, Json.nest("spec.maxReplicas",
                            Json.F.numberNode(p.autoscaleMax())), false, helmNote(d)));
        }
    }

    private static String helmNote(Workload d) {
        String release = d.annotations().get(HELM_RELEASE_NAME);
        return "Does not restart pods." + (release == null ? ""
                : " Helm release " + release + " renders this HPA: change its values too, or the next upgrade "
                        + "reverts this.");
    }

    private static void checkPdbs(Workload d, Hpa hpa, Parameters.HaMinimum p, ClusterSnapshot s, Scope scope,
            Checks checks) {
        List<Pdb> pdbs = s.pdbsFor(d);
        if (pdbs.isEmpty()) {
            if (p.requirePodDisruptionBudget()) {
                missingPdb(d, checks);
            }
            return;
        }
        if (p.requirePodDisruptionBudget()) {
            checks.pass();
        }
        // At the HPA's floor, which is where it sits when the cluster is quiet and nodes get drained.
        int replicas = hpa != null ? hpa.minReplicas() : d.replicas() == null ? 1 : d.replicas();
        for (Pdb pdb : pdbs) {
            if (scope.exempt(pdb.namespace(), "PodDisruptionBudget", pdb.name(), pdb.annotations())) {
                continue;
            }
            checkPdb(d, hpa, pdb, replicas, p, checks);
        }
    }

    private static void missingPdb(Workload d, Checks checks) {
        ResourceRef pdbRef = new ResourceRef("policy/v1", "PodDisruptionBudget", d.namespace(),
                d.name() + "-meshwarden");
        Remedy remedy;
        if (d.podLabels().isEmpty()) {
            remedy = Remedy.none(pdbRef, "The pod template has no labels, so a PDB selector would select every pod "
                    + "in the namespace; label the pods first.");
        } else {
            ObjectNode pdb = Json.F.objectNode();
            pdb.put("apiVersion", "policy/v1").put("kind", "PodDisruptionBudget");
            ObjectNode meta = pdb.putObject("metadata");
            meta.put("name", pdbRef.name()).put("namespace", d.namespace());
            meta.putObject("labels").put(MANAGED_BY, "meshwarden");
            ObjectNode spec = pdb.putObject("spec");
            spec.put("maxUnavailable", 1);
            spec.putObject("selector").set("matchLabels", Json.labels(d.podLabels()));
            remedy = new Remedy(pdbRef, Remedy.CREATE, pdb, false,
                    "maxUnavailable 1 keeps drains possible at any replica count.");
        }
        checks.fail(Rules.HA_PDB_MISSING, Refs.of(d), null, "PodDisruptionBudget", "a PodDisruptionBudget selecting "
                + "the pods", "none", d.ref() + " has no PodDisruptionBudget: a drain may evict every replica at "
                        + "once", remedy);
    }

    private static void checkPdb(Workload d, Hpa hpa, Pdb pdb, int replicas, Parameters.HaMinimum p,
            Checks checks) {
        String field;
        boolean blocks;
        try {
            if (pdb.maxUnavailable() != null) {
                field = "spec.maxUnavailable";
                blocks = scaled(pdb.maxUnavailable(), replicas) <= 0;
            } else if (pdb.minAvailable() != null) {
                field = "spec.minAvailable";
                blocks = scaled(pdb.minAvailable(), replicas) >= replicas;
            } else {
                checks.pass();
                return;
            }
        } catch (NumberFormatException e) {
            // The API server rejects such a PDB; nothing here to judge.
            return;
        }
        if (!blocks) {
            checks.pass();
            return;
        }
        String value = field.equals("spec.maxUnavailable") ? pdb.maxUnavailable() : pdb.minAvailable();
        String ref = "PodDisruptionBudget " + pdb.namespace() + "/" + pdb.name();
        Remedy remedy;
        if (field.equals("spec.maxUnavailable")) {
            remedy = new Remedy(Refs.of(pdb), Remedy.PATCH, Json.nest("spec.maxUnavailable", Json.F.numberNode(1)),
                    false, "No replica count helps while maxUnavailable is " + value + ".");
        } else {
            int allowing = replicasToAllow(pdb.minAvailable(), replicas);
            int needed = Math.max(p.minReplicas(), allowing);
            if (allowing <= 0) {
                remedy = new Remedy(Refs.of(pdb), Remedy.PATCH, Json.nest("spec.maxUnavailable",
                        Json.F.numberNode(1)), false, "minAvailable " + value + " blocks at any replica count; "
                                + "replace it with maxUnavailable 1 (a merge patch cannot remove minAvailable: "
                                + "set it to null alongside).");
                ((ObjectNode) remedy.patch().get("spec")).putNull("minAvailable");
            } else if (hpa != null) {
                ObjectNode patch = Json.nest("spec.minReplicas", Json.F.numberNode(needed));
                if (hpa.maxReplicas() < needed) {
                    ((ObjectNode) patch.get("spec")).put("maxReplicas", needed);
                }
                remedy = new Remedy(Refs.of(hpa), Remedy.PATCH, patch, false, "Raise the replicas instead of "
                        + "loosening the PDB: charts such as istiod hard-code minAvailable 1 (istio#53909). "
                        + helmNote(d));
            } else {
                remedy = new Remedy(Refs.of(d), Remedy.PATCH, Json.nest("spec.replicas", Json.F.numberNode(needed)),
                        false, "Raise the replicas instead of loosening the PDB: charts such as istiod hard-code "
                                + "minAvailable 1 (istio#53909). Scaling up does not restart existing pods.");
            }
        }
        checks.fail(Rules.HA_PDB_BLOCKS_EVICTION, Refs.of(pdb), null, field, "allows at least one eviction",
                field.substring(5) + " " + value + " with " + replicas + " replica(s)",
                ref + " (" + field.substring(5) + " " + value + ") allows no voluntary eviction of " + d.ref()
                        + " at " + replicas + " replica(s): every node drain blocks",
                remedy);
    }

    /**
     * An IntOrString of a PDB against a replica count; percentages round up as the disruption controller does.
     */
    static int scaled(String intOrPercent, int replicas) {
        String v = intOrPercent.trim();
        if (v.endsWith("%")) {
            int percent = Integer.parseInt(v.substring(0, v.length() - 1).trim());
            return (int) Math.ceil(percent * (double) replicas / 100.0);
        }
        return Integer.parseInt(v);
    }

    /** The smallest replica count at which minAvailable leaves one eviction; 0 when none does. */
    private static int replicasToAllow(String minAvailable, int current) {
        for (int r = Math.max(current, 1); r <= 1000; r++) {
            if (scaled(minAvailable, r) < r) {
                return r;
            }
        }
        return 0;
    }

}
