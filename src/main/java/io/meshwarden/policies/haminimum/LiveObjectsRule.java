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
import io.meshwarden.model.Ownership;
import io.meshwarden.model.Pdb;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import io.meshwarden.policy.MeshPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * HaMinimum's check of the live objects: the component's Deployment, the HPA that scales it and the PDBs that select
 * its pods. A Deployment that an HPA targets never gets a replicas finding: writing replicas under an HPA starts a
 * tug of war (istio#27581).
 */
final class LiveObjectsRule {
    static final RuleId HPA_MIN_REPLICAS = new RuleId("ha-hpa-min-replicas",
            "The live HPA of a mesh component has minReplicas below the policy's floor");
    static final RuleId HPA_MAX_REPLICAS = new RuleId("ha-hpa-max-replicas",
            "The live HPA of a mesh component has maxReplicas below the policy's ceiling");
    static final RuleId DEPLOYMENT_REPLICAS = new RuleId("ha-deployment-replicas",
            "A mesh component's Deployment without an HPA runs fewer replicas than the policy's minimum");
    static final RuleId PDB_MISSING = new RuleId("ha-pdb-missing",
            "No PodDisruptionBudget selects a mesh component's pods");
    static final RuleId PDB_BLOCKS_EVICTION = new RuleId("ha-pdb-blocks-eviction",
            "A PodDisruptionBudget of a mesh component allows no eviction at the current replicas, so drains hang");
    static final RuleId PDB_OVERLAPPING = new RuleId("ha-pdb-overlapping",
            "More than one PodDisruptionBudget selects a mesh component's pods, so the eviction API refuses them all");

    private LiveObjectsRule() {
    }

    static void checkDeployment(Workload d, HaMinimumParameters p, ClusterSnapshot s, Scope scope,
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
                if (d.annotations().containsKey(Mesh.HELM_RELEASE_NAME)) {
                    note += " Helm release " + d.annotations().get(Mesh.HELM_RELEASE_NAME)
                            + " manages this Deployment: raise replicaCount in its values too, or the next upgrade "
                            + "reverts this.";
                }
                checks.fail(DEPLOYMENT_REPLICAS, Refs.of(d), null, "spec.replicas", ">= " + p.minReplicas(),
                        String.valueOf(replicas), d.ref() + " runs " + replicas + " replica(s) and no HPA targets it; "
                                + "the HA minimum is " + p.minReplicas(),
                        new Remedy(Refs.of(d), Remedy.PATCH, Json.nest("spec.replicas",
                                Json.F.numberNode(p.minReplicas())), false, note));
            }
        }
        checkPdbs(d, hpa, p, s, scope, checks);
    }

    private static void checkHpa(Workload d, Hpa hpa, HaMinimumParameters p, Checks checks) {
        String where = "HorizontalPodAutoscaler " + hpa.namespace() + "/" + hpa.name() + " of " + d.ref();
        if (hpa.minReplicas() >= p.autoscaleMin()) {
            checks.pass();
        } else {
            checks.fail(HPA_MIN_REPLICAS, Refs.of(hpa), null, "spec.minReplicas", ">= " + p.autoscaleMin(),
                    String.valueOf(hpa.minReplicas()), where + " may scale down to " + hpa.minReplicas()
                            + " replica(s); the HA minimum is " + p.autoscaleMin(),
                    new Remedy(Refs.of(hpa), Remedy.PATCH, Json.nest("spec.minReplicas",
                            Json.F.numberNode(p.autoscaleMin())), false, helmNote(d)));
        }
        if (hpa.maxReplicas() >= p.autoscaleMax()) {
            checks.pass();
        } else {
            checks.fail(HPA_MAX_REPLICAS, Refs.of(hpa), null, "spec.maxReplicas", ">= " + p.autoscaleMax(),
                    String.valueOf(hpa.maxReplicas()), where + " may scale up to only " + hpa.maxReplicas()
                            + " replica(s); the policy asks for at least " + p.autoscaleMax(),
                    new Remedy(Refs.of(hpa), Remedy.PATCH, Json.nest("spec.maxReplicas",
                            Json.F.numberNode(p.autoscaleMax())), false, helmNote(d)));
        }
    }

    private static String helmNote(Workload d) {
        String release = d.annotations().get(Mesh.HELM_RELEASE_NAME);
        return "Does not restart pods." + (release == null ? ""
                : " Helm release " + release + " renders this HPA: change its values too, or the next upgrade "
                        + "reverts this.");
    }

    private static void checkPdbs(Workload d, Hpa hpa, HaMinimumParameters p, ClusterSnapshot s, Scope scope,
            Checks checks) {
        // Every PDB counts here, whoever owns it and whether or not it is exempt: the eviction API counts them all.
        List<Pdb> pdbs = s.pdbsFor(d);
        if (pdbs.isEmpty()) {
            if (p.requirePodDisruptionBudget()) {
                missingPdb(d, s, checks);
            }
            return;
        }
        if (p.requirePodDisruptionBudget()) {
            checks.pass();
        }
        overlapping(d, pdbs, checks);
        // At the HPA's floor, which is where it sits when the cluster is quiet and nodes get drained.
        int replicas = hpa != null ? hpa.minReplicas() : d.replicas() == null ? 1 : d.replicas();
        for (Pdb pdb : pdbs) {
            if (scope.exempt(pdb.namespace(), "PodDisruptionBudget", pdb.name(), pdb.annotations())) {
                continue;
            }
            checkPdb(d, hpa, pdb, replicas, p, checks);
        }
    }

    /**
     * The eviction API refuses a pod that more than one PDB selects ("This pod has more than one
     * PodDisruptionBudget, which the eviction subresource does not support"), so every drain of its node fails. When
     * one of them is ours and another is not, ours goes: the chart's or the user's PDB is the one they maintain.
     */
    private static void overlapping(Workload d, List<Pdb> pdbs, Checks checks) {
        if (pdbs.size() < 2) {
            checks.pass();
            return;
        }
        List<String> names = new ArrayList<>();
        Pdb ours = null;
        boolean foreign = false;
        for (Pdb pdb : pdbs) {
            names.add(pdb.name() + (pdb.ours() ? " (Meshwarden's)" : ""));
            if (!pdb.ours()) {
                foreign = true;
            } else if (ours == null || !pdb.name().equals(ownPdbName(d))) {
                // With two of ours and no other, keep the one named as Meshwarden names it and retire the other.
                ours = pdb;
            }
        }
        String list = String.join(", ", names);
        Remedy remedy;
        if (ours != null) {
            remedy = new Remedy(Refs.of(ours), Remedy.DELETE, null, false, "Deletes PodDisruptionBudget "
                    + ours.namespace() + "/" + ours.name() + ", which Meshwarden created; "
                    + (foreign ? "the other one protects the pods" : "the other one of Meshwarden's stays")
                    + (pdbs.size() > 2 ? ", though " + (pdbs.size() - 1) + " still overlap: remove all but one" : "")
                    + ". A revert re-creates it.");
        } else {
            remedy = Remedy.none(Refs.of(d), "None of the PodDisruptionBudgets (" + list + ") is Meshwarden's: "
                    + "delete all but one, or narrow their selectors so that one selects these pods.");
        }
        checks.fail(PDB_OVERLAPPING, Refs.of(d), null, "PodDisruptionBudget", "exactly one PodDisruptionBudget "
                + "selecting the pods", pdbs.size() + " (" + list + ")", d.ref() + " has its pods selected by "
                        + pdbs.size() + " PodDisruptionBudgets (" + list + "): the eviction API refuses to evict "
                        + "a pod with more than one, so every node drain fails on these pods", remedy);
    }

    static String ownPdbName(Workload d) {
        return d.name() + "-meshwarden";
    }

    private static void missingPdb(Workload d, ClusterSnapshot s, Checks checks) {
        ResourceRef pdbRef = new ResourceRef("policy/v1", "PodDisruptionBudget", d.namespace(), ownPdbName(d));
        Remedy remedy;
        Map<String, String> selector = d.selectorLabels();
        Optional<HelmRelease> chart = new Mesh(s).helmReleaseOf(d);
        if (chart.isPresent() && "istiod".equals(chart.get().chartName()) && chartRendersPdb(chart.get())) {
            // Found on the real charts: a PDB of ours created in the same run that raises autoscaleMin made two
            // PDBs on istiod once the overlay was applied, and the eviction API refused every istiod pod.
            remedy = Remedy.none(pdbRef, "The istiod chart of Helm release " + chart.get().name() + " renders its own "
                    + "PodDisruptionBudget once istiod runs 2 or more replicas (global.defaultPodDisruptionBudget"
                    + ".enabled is on): apply the values overlay that raises autoscaleMin (ha-helm-autoscale-min). "
                    + "Meshwarden creates none, since a second PDB on the same pods makes the eviction API refuse "
                    + "every istiod pod.");
        } else if (selector == null) {
            remedy = Remedy.none(pdbRef, "The Deployment selects its pods with matchExpressions (or has no "
                    + "spec.selector.matchLabels), which a matchLabels selector cannot repeat; create a PDB with the "
                    + "Deployment's own spec.selector by hand.");
        } else if (selector.isEmpty()) {
            remedy = Remedy.none(pdbRef, "The Deployment's selector has no labels, so a PDB selector would select "
                    + "every pod in the namespace; give it a selector first.");
        } else {
            ObjectNode pdb = Json.F.objectNode();
            pdb.put("apiVersion", "policy/v1").put("kind", "PodDisruptionBudget");
            ObjectNode meta = pdb.putObject("metadata");
            meta.put("name", pdbRef.name()).put("namespace", d.namespace());
            meta.putObject("labels").put(Ownership.MANAGED_BY, Ownership.MANAGED_BY_VALUE);
            ObjectNode spec = pdb.putObject("spec");
            spec.put("maxUnavailable", 1);
            // The Deployment's own selector: pod-template labels such as app.kubernetes.io/version or helm.sh/chart
            // change with every upgrade and would leave the PDB selecting nothing.
            spec.putObject("selector").set("matchLabels", Json.labels(selector));
            remedy = new Remedy(pdbRef, Remedy.CREATE, pdb, false,
                    "maxUnavailable 1 keeps drains possible at any replica count; it selects with the Deployment's "
                            + "spec.selector, so it keeps matching across upgrades.");
        }
        checks.fail(PDB_MISSING, Refs.of(d), null, "PodDisruptionBudget", "a PodDisruptionBudget selecting "
                + "the pods", "none", d.ref() + " has no PodDisruptionBudget: a drain may evict every replica at "
                        + "once", remedy);
    }

    /** The chart's switch for its own PDB, on unless the release's values turn it off. */
    private static boolean chartRendersPdb(HelmRelease r) {
        JsonNode enabled = ValuesSource.of(r).value("global.defaultPodDisruptionBudget.enabled");
        return !(Json.isSet(enabled) && Json.bool(enabled) == Boolean.FALSE);
    }

    private static void checkPdb(Workload d, Hpa hpa, Pdb pdb, int replicas, HaMinimumParameters p,
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
        checks.fail(PDB_BLOCKS_EVICTION, Refs.of(pdb), null, field, "allows at least one eviction",
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
